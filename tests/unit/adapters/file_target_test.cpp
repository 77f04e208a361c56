#include "keyd/adapters/file_target/file_target.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/test_support.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace keyd::adapters {
namespace {

using testing::TempDir;

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

struct Key {
  Key() : key(*domain::generate_swarm_key()), text(key.canonical_text()), fingerprint(key.fingerprint().hex()) {}
  ports::Delivery delivery(int version = 1) const { return {"s", "s/swarm-key", version, fingerprint, text}; }
  domain::SwarmKey key;
  Secret text;
  std::string fingerprint;
};

TEST(FileTarget, WritesTheKeyPrivatelyAndCreatesDirectories) {
  TempDir dir;
  const auto path = dir / "ipfs/repo/swarm.key";
  const ::mode_t old_umask = ::umask(0);  // even a permissive umask must not widen the mode
  Key k;
  auto target = make_file_target(path);
  auto outcome = target->apply(k.delivery());
  ::umask(old_umask);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(*outcome, ports::ApplyOutcome::changed);
  EXPECT_EQ(testing::read_file(path), std::string(k.text.reveal_text()));
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(target->describe(), "file " + path.string());
  EXPECT_EQ(target->identity().kind, "file");
  EXPECT_EQ(target->identity().name, path.string());
}

TEST(FileTarget, SameFingerprintIsUnchangedAndNotRewritten) {
  TempDir dir;
  const auto path = dir / "swarm.key";
  Key k;
  auto target = make_file_target(path);
  ASSERT_TRUE(target->apply(k.delivery()));
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  auto again = target->apply(k.delivery(2));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, ports::ApplyOutcome::unchanged);
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // no rename happened
}

TEST(FileTarget, RewritesADifferentKeyAWrongModeOrGarbage) {
  TempDir dir;
  const auto path = dir / "swarm.key";
  Key k1, k2;
  auto target = make_file_target(path);
  ASSERT_TRUE(target->apply(k1.delivery()));
  EXPECT_EQ(*target->apply(k2.delivery()), ports::ApplyOutcome::changed);
  EXPECT_EQ(testing::read_file(path), std::string(k2.text.reveal_text()));

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(*target->apply(k2.delivery()), ports::ApplyOutcome::changed);
  EXPECT_EQ(mode_of(path), 0600);

  testing::write_file(path, "garbage");
  EXPECT_EQ(*target->apply(k2.delivery()), ports::ApplyOutcome::changed);
  EXPECT_EQ(testing::read_file(path), std::string(k2.text.reveal_text()));
}

TEST(FileTarget, FailureNamesThePathAndNotTheKey) {
  TempDir dir;
  testing::write_file(dir / "blocker", "x");
  Key k;
  auto target = make_file_target(dir / "blocker/swarm.key");
  auto outcome = target->apply(k.delivery());
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("blocker"), std::string::npos) << outcome.error().message;
  const std::string text(k.text.reveal_text());
  EXPECT_EQ(outcome.error().message.find(text.substr(31, 64)), std::string::npos);
}

}  // namespace
}  // namespace keyd::adapters
