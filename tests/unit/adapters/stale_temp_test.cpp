// Stale temp files: a crashed delivery (kill -9 before the rename) leaves a complete key file named
// "<target>.tmp-<pid>-<random>" beside the target. The next delivery by the file target or the
// agent's sink removes keyd's own such files for that target, and nothing else.
#include "keyd/adapters/agent/agent_sink.hpp"
#include "keyd/adapters/file_target/file_target.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <string>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::TempDir;
using keyd::testing::write_file;

constexpr std::string_view k_key_header = "/key/swarm/psk/1.0.0/";

std::string key_text() { return std::string(domain::generate_swarm_key()->canonical_text().reveal_text()); }

std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// Files in `dir` other than `keep` whose content is a key file.
std::vector<std::string> keys_besides(const std::filesystem::path& dir, const std::string& keep) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name != keep && e.is_regular_file() && read_file(e.path()).starts_with(k_key_header)) found.push_back(name);
  }
  return found;
}

// A pid that belonged to a process that has exited.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// A temp name of exactly the form keyd makes, for `target` and writer `pid`.
std::string temp_name(const std::string& target, pid_t pid, const std::string& random = "0123456789ab") {
  return target + ".tmp-" + std::to_string(pid) + "-" + random;
}

void make_old(const std::filesystem::path& file) {
  const std::array<timeval, 2> hour_ago{timeval{::time(nullptr) - 3600, 0}, timeval{::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::lutimes(file.c_str(), hour_ago.data()), 0);
}

ports::Delivery delivery_of(const domain::SwarmKey& key, const Secret& text) {
  return {"ipfs-overlay", "ipfs-overlay/swarm-key", 2, key.fingerprint().hex(), text};
}

TEST(StaleTempFiles, TheNextDeliverySweepsOnlyKeydsOwnStaleTempFilesForItsTarget) {
  TempDir dir;
  const auto target = dir / "swarm.key";
  const pid_t gone = dead_pid();
  const std::string planted_key = key_text();
  struct Planted {
    std::string name;
    bool removed;
    const char* why;
  };
  const std::vector<Planted> planted{
      {temp_name("swarm.key", gone), true, "keyd's name, writer gone"},
      {temp_name("swarm.key", ::getppid(), "a1b2c3d4e5f6"), false, "keyd's name, writer alive, fresh"},
      {temp_name("swarm.key", 1, "00112233aabb"), true, "keyd's name, writer alive but an hour old"},
      {temp_name("other.key", gone), false, "another target's temp file"},
      {temp_name("swarm.key", gone, "0123456789AB"), false, "upper-case hex: not a name keyd makes"},
      {temp_name("swarm.key", gone, "0123456789abc"), false, "13 hex digits"},
      {"swarm.key.tmp-" + std::to_string(gone), false, "no random part"},
      {"swarm.key.tmp-x" + std::to_string(gone) + "-0123456789ab", false, "not a pid"},
      {"swarm.key.bak", false, "a backup"},
      {"xswarm.key.tmp-" + std::to_string(gone) + "-0123456789ab", false, "a longer target name"},
  };
  for (const auto& p : planted) write_file(dir / p.name, planted_key);
  make_old(dir / temp_name("swarm.key", 1, "00112233aabb"));
  // Names keyd would make, but not regular files: never keyd's.
  std::filesystem::create_directory(dir / temp_name("swarm.key", gone, "ffffffffffff"));
  std::filesystem::create_symlink(dir / "swarm.key.bak", dir / temp_name("swarm.key", gone, "eeeeeeeeeeee"));

  const auto key = domain::generate_swarm_key();
  const Secret text = key->canonical_text();
  ASSERT_TRUE(make_file_target(target)->apply(delivery_of(*key, text)));
  const auto names = names_in(dir.path());
  for (const auto& p : planted) EXPECT_EQ(!names.contains(p.name), p.removed) << p.name << ": " << p.why;
  EXPECT_TRUE(names.contains(temp_name("swarm.key", gone, "ffffffffffff")));
  EXPECT_TRUE(names.contains(temp_name("swarm.key", gone, "eeeeeeeeeeee")));
  EXPECT_EQ(read_file(target), text.reveal_text());
}

TEST(StaleTempFiles, TheFileTargetsNextDeliveryRemovesAKeyLeftByACrash) {
  TempDir dir;
  const auto target = dir / "ipfs/swarm.key";
  std::filesystem::create_directories(target.parent_path());
  const auto stale = target.parent_path() / temp_name("swarm.key", dead_pid());
  write_file(stale, key_text());  // a complete key file, as a kill -9 before the rename leaves it
  const auto key = domain::generate_swarm_key();
  ASSERT_TRUE(make_file_target(target)->apply(delivery_of(*key, key->canonical_text())));
  EXPECT_EQ(keys_besides(target.parent_path(), "swarm.key"), std::vector<std::string>{});
  EXPECT_EQ(read_file(target), key->canonical_text().reveal_text());
}

TEST(StaleTempFiles, TheAgentSinksNextWriteRemovesAKeyLeftByACrashAndKeepsTheOwner) {
  TempDir dir;
  const auto target = dir / "data/swarm.key";
  std::filesystem::create_directories(target.parent_path());
  const auto stale = target.parent_path() / temp_name("swarm.key", dead_pid());
  write_file(stale, key_text());
  FileSinkOptions options{target, std::nullopt, std::nullopt, 0600};
  if (::geteuid() == 0) options = FileSinkOptions{target, 1000, 1000, 0600};
  const auto key = domain::generate_swarm_key();
  ASSERT_TRUE(make_file_sink(options)->write(delivery_of(*key, key->canonical_text())));
  EXPECT_EQ(keys_besides(target.parent_path(), "swarm.key"), std::vector<std::string>{});
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1000U);
    EXPECT_EQ(st.st_gid, 1000U);
  }
}

// Thousands of key files in one directory: a large directory is listed once a minute, not once per
// write. Each target still removes its own leftovers found in that listing; a leftover that appears
// after the listing waits for the next one. (A small directory is listed on every write: above.)
TEST(StaleTempFiles, OneListingOfALargeDirectoryServesEveryTargetInIt) {
  TempDir dir;
  for (int i = 0; i < 80; ++i) write_file(dir / ("k" + std::to_string(i) + ".key"), "x");
  const pid_t gone = dead_pid();
  write_file(dir / temp_name("b.key", gone), key_text());  // there before the listing
  const auto key = domain::generate_swarm_key();
  const Secret text = key->canonical_text();
  ASSERT_TRUE(make_file_target(dir / "a.key")->apply(delivery_of(*key, text)));  // lists the directory
  EXPECT_TRUE(names_in(dir.path()).contains(temp_name("b.key", gone))) << "a's write sweeps only a's";
  write_file(dir / temp_name("b.key", gone, "aaaaaaaaaaaa"), key_text());  // after the listing
  ASSERT_TRUE(make_file_target(dir / "b.key")->apply(delivery_of(*key, text)));
  const auto names = names_in(dir.path());
  EXPECT_FALSE(names.contains(temp_name("b.key", gone))) << "b's write removes b's leftover from the listing";
  EXPECT_TRUE(names.contains(temp_name("b.key", gone, "aaaaaaaaaaaa")))
      << "a leftover newer than the listing waits for the next listing (a minute later)";
}

}  // namespace
}  // namespace keyd::adapters
