// The agent's file sink: what inspect() sees, mode and owner, directories, failure at every step,
// and atomicity under a concurrent reader.
#include "keyd/adapters/agent/agent_sink.hpp"
#include "failing_file_system.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace keyd::adapters {
namespace {

using testing::FailingFileSystem;
using testing::TempDir;

struct Key {
  Secret text;
  std::string fingerprint;
};

Key new_key() {
  auto key = domain::generate_swarm_key();
  EXPECT_TRUE(key);
  return {key->canonical_text(), key->fingerprint().hex()};
}

Status write(ports::KeySink& sink, const Key& key, int version = 1) {
  return sink.write({"ipfs-overlay", "ipfs-overlay/swarm-key", version, key.fingerprint, key.text});
}

struct stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st;
}

std::size_t entries_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(AgentFileSink, InspectSeesNothingThenTheKeyItWrote) {
  TempDir dir;
  auto sink = make_file_sink({dir / "swarm.key", std::nullopt, std::nullopt, 0600});
  auto before = sink->inspect();
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_TRUE(before->fingerprint.empty());

  const Key key = new_key();
  ASSERT_TRUE(write(*sink, key));
  EXPECT_EQ(testing::read_file(dir / "swarm.key"), key.text.reveal_text());
  EXPECT_EQ(stat_of(dir / "swarm.key").st_mode & 07777, 0600U);
  auto after = sink->inspect();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->fingerprint, key.fingerprint);
  EXPECT_TRUE(after->exact);
  EXPECT_EQ(entries_in(dir.path()), 1U);  // no temp file left behind
}

TEST(AgentFileSink, InspectNoticesModeDriftAndContentThatIsNoKey) {
  TempDir dir;
  auto sink = make_file_sink({dir / "swarm.key", std::nullopt, std::nullopt, 0600});
  const Key key = new_key();
  ASSERT_TRUE(write(*sink, key));
  ASSERT_EQ(::chmod((dir / "swarm.key").c_str(), 0644), 0);
  auto drifted = sink->inspect();
  ASSERT_TRUE(drifted);
  EXPECT_EQ(drifted->fingerprint, key.fingerprint);
  EXPECT_FALSE(drifted->exact);

  testing::write_file(dir / "swarm.key", "/key/swarm/psk/1.0.0/\n/base16/\nnot hex\n");
  auto garbage = sink->inspect();
  ASSERT_TRUE(garbage);
  EXPECT_TRUE(garbage->fingerprint.empty());

  std::filesystem::remove(dir / "swarm.key");
  std::filesystem::create_directory(dir / "swarm.key");
  auto directory = sink->inspect();
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("is not a regular file"), std::string::npos);
}

TEST(AgentFileSink, OwnerAndGroupAsRequestedOnTheFileAndOnDirectoriesItCreates) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing the owner needs root";
  TempDir dir;
  const auto path = dir / "data/ipfs/swarm.key";
  auto sink = make_file_sink({path, 1000, 1001, 0600});
  EXPECT_EQ(sink->describe(), "file " + path.string() + " (mode 0600, owner 1000:1001)");
  ASSERT_TRUE(write(*sink, new_key()));
  const auto st = stat_of(path);
  EXPECT_EQ(st.st_uid, 1000U);
  EXPECT_EQ(st.st_gid, 1001U);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  for (const auto& d : {dir / "data/ipfs", dir / "data"}) {
    const auto dst = stat_of(d);
    EXPECT_EQ(dst.st_uid, 1000U) << d;
    EXPECT_EQ(dst.st_mode & 07777, 0700U) << d;
  }
  EXPECT_NE(stat_of(dir.path()).st_uid, 1000U);  // an existing directory keeps its owner
  EXPECT_TRUE(sink->inspect()->exact);

  ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  EXPECT_FALSE(sink->inspect()->exact);  // the owner drifted: the agent rewrites it
  auto other_owner = make_file_sink({path, 1000, std::nullopt, 0600});
  EXPECT_FALSE(other_owner->inspect()->exact);
}

TEST(AgentFileSink, AFailureAtAnyStepLeavesTheOldFileAndNoTempFile) {
  TempDir dir;
  const auto path = dir / "swarm.key";
  const Key old_key = new_key();
  ASSERT_TRUE(write(*make_file_sink({path, std::nullopt, std::nullopt, 0600}), old_key));
  // create, write, fsync, close, rename: a failure at any of them keeps the old content.
  for (int step = 1; step <= 5; ++step) {
    FailingFileSystem fs(step, FailingFileSystem::Mode::once);
    auto sink = make_file_sink({path, std::nullopt, std::nullopt, 0600}, fs);
    const auto st = write(*sink, new_key(), 2);
    ASSERT_FALSE(st) << "step " << step;
    EXPECT_NE(st.error().message.find("write " + path.string()), std::string::npos) << st.error().message;
    EXPECT_EQ(testing::read_file(path), old_key.text.reveal_text()) << "step " << step;
    EXPECT_EQ(entries_in(dir.path()), 1U) << "step " << step;
  }
}

TEST(AgentFileSink, AReaderNeverSeesAPartialOrEmptyFileDuringRewrites) {
  TempDir dir;
  const auto path = dir / "swarm.key";
  auto sink = make_file_sink({path, std::nullopt, std::nullopt, 0600});
  const Key a = new_key();
  const Key b = new_key();
  ASSERT_TRUE(write(*sink, a));
  const std::string text_a(a.text.reveal_text());
  const std::string text_b(b.text.reveal_text());

  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> bad{0};
  std::string bad_example;
  std::thread reader([&] {
    while (!done.load()) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      const std::string s = content.str();
      if (s != text_a && s != text_b) {
        if (bad.fetch_add(1) == 0) bad_example = std::to_string(s.size()) + " bytes";
      }
      reads.fetch_add(1);
    }
  });
  constexpr int k_rewrites = 300;
  for (int i = 0; i < k_rewrites; ++i) ASSERT_TRUE(write(*sink, i % 2 == 0 ? b : a, i + 2));
  while (reads.load() < 50) std::this_thread::yield();  // the reader really ran
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0) << "a reader saw " << bad_example << " (neither key)";
  EXPECT_GE(reads.load(), 50);
  EXPECT_EQ(entries_in(dir.path()), 1U);
}

}  // namespace
}  // namespace keyd::adapters
