// Crash safety of the file store: a write is "crashed" at every file-system step in turn (the k-th
// call and all later ones fail), then the store is "rebooted" by opening a fresh store over the
// same directory with the real file system. It must hold the old current version or the new one,
// fully readable, and accept a further normal write.
#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/adapters/file_store/file_store_repair.hpp"

#include "failing_file_system.hpp"
#include "file_store_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <set>

namespace keyd::adapters {
namespace {

using keyd::testing::expect_data_is;
using keyd::testing::FailingFileSystem;
using keyd::testing::FakeClock;
using keyd::testing::TempDir;
using keyd::testing::version_data;
using namespace std::chrono_literals;

constexpr std::string_view k_path = "ipfs-overlay/swarm-key";
constexpr int k_max_versions = 3;

std::unique_ptr<ports::SecretStore> open_store(const std::filesystem::path& dir, const ports::Clock& clock,
                                               FileSystem& fs = posix_file_system()) {
  auto store = make_file_store({.dir = dir, .master_key_file = {}, .max_versions = k_max_versions}, clock, fs);
  EXPECT_TRUE(store) << store.error().message;
  return std::move(*store);
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// After the reboot: the current version is `old_version` or `old_version + 1` (required when the
// crashed write reported success), every kept version reads back fully, and a next write works.
void check_after_reboot(const std::filesystem::path& dir, FakeClock& clock, int old_version, bool write_succeeded) {
  auto store = open_store(dir, clock);
  auto meta = store->metadata(k_path);
  if (!meta && meta.error().code == ErrorCode::integrity && old_version == 0) {
    // The first write crashed between its record and its commit: refused as records without
    // metadata (never taken for an empty path); the deliberate repair adopts the record.
    auto repair = make_file_store_repair({.dir = dir, .master_key_file = {}, .max_versions = k_max_versions}, clock);
    ASSERT_TRUE(repair);
    const auto repaired = (*repair)->repair(k_path);
    ASSERT_TRUE(repaired) << repaired.error().message;
    meta = store->metadata(k_path);
  }
  int current = 0;
  if (!meta) {
    ASSERT_EQ(meta.error().code, ErrorCode::not_found) << meta.error().message;
    ASSERT_EQ(old_version, 0) << "metadata vanished";
  } else {
    current = meta->current_version;
  }
  if (write_succeeded) {
    EXPECT_EQ(current, old_version + 1) << "an acknowledged write was lost";
  } else {
    EXPECT_TRUE(current == old_version || current == old_version + 1) << "current " << current;
  }
  if (current > 0) {
    const auto latest = store->read(k_path, std::nullopt);
    ASSERT_TRUE(latest) << latest.error().message;
    EXPECT_EQ(latest->info.version, current);
    expect_data_is(latest->data, current);
    for (const auto& info : meta->versions) {
      const auto got = store->read(k_path, info.version);
      ASSERT_TRUE(got) << got.error().message;
      expect_data_is(got->data, info.version);
    }
  }
  clock.advance(1s);
  const auto next = store->write(k_path, version_data(current + 1), current);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(*next, current + 1);
  const auto got = open_store(dir, clock)->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, current + 1);

  // That write cleaned up every orphan and temp file the crash left behind.
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir / std::string(k_path))) {
    names.insert(e.path().filename().string());
  }
  std::set<std::string> expected = {"_lock", "_metadata.json"};
  for (int v = std::max(1, current + 2 - k_max_versions); v <= current + 1; ++v) {
    expected.insert("_v" + std::to_string(v) + ".rec");
  }
  EXPECT_EQ(names, expected);
}

// Crash a write of version old_version + 1 at every step in turn; returns the first step at which
// the write ran to completion with no failure injected.
int crash_at_every_step(int old_version) {
  for (int step = 1;; ++step) {
    SCOPED_TRACE("crash at file-system call " + std::to_string(step));
    TempDir tmp;
    const auto dir = tmp.path() / "store";
    FakeClock clock;
    {
      auto store = open_store(dir, clock);
      for (int v = 1; v <= old_version; ++v) {
        clock.advance(1s);
        EXPECT_TRUE(store->write(k_path, version_data(v), v - 1));
      }
    }
    FailingFileSystem fs(step);
    clock.advance(1s);
    const auto written = open_store(dir, clock, fs)->write(k_path, version_data(old_version + 1), old_version);
    SCOPED_TRACE("calls:\n" + join(fs.log()));
    check_after_reboot(dir, clock, old_version, written.has_value());
    if (::testing::Test::HasFatalFailure()) return step;
    if (fs.failures() == 0) {
      EXPECT_TRUE(written) << written.error().message;
      return step;
    }
  }
}

TEST(FileStoreCrash, CrashAtEveryStepOfAWriteThatPrunes) {
  // Two atomic writes (record, metadata) of six calls each, then one unlink of the pruned record.
  const int steps = crash_at_every_step(k_max_versions);
  EXPECT_EQ(steps, 14);
}

TEST(FileStoreCrash, CrashAtEveryStepOfTheFirstWrite) {
  // The master key is created through the same file system: six more calls.
  const int steps = crash_at_every_step(0);
  EXPECT_EQ(steps, 19);
}

TEST(FileStoreCrash, CrashAtEveryStepOfASecondWrite) {
  const int steps = crash_at_every_step(1);
  EXPECT_EQ(steps, 13);
}

TEST(FileStoreCrash, TheSameStoreRecoversAfterATransientFailure) {
  // One failing call (not a crash): the store object itself must carry on.
  for (int step = 1; step <= 12; ++step) {  // the twelve calls of a write that prunes nothing
    SCOPED_TRACE("failing call " + std::to_string(step));
    TempDir tmp;
    const auto dir = tmp.path() / "store";
    FakeClock clock;
    ASSERT_TRUE(open_store(dir, clock)->write(k_path, version_data(1), 0));
    FailingFileSystem fresh(step, FailingFileSystem::Mode::once);
    auto flaky = open_store(dir, clock, fresh);
    const auto failed = flaky->write(k_path, version_data(2), 1);
    const auto meta = flaky->metadata(k_path);
    ASSERT_TRUE(meta) << meta.error().message;
    if (failed) {
      EXPECT_EQ(meta->current_version, 2);
    }
    const int current = meta->current_version;
    const auto again = flaky->write(k_path, version_data(current + 1), current);
    ASSERT_TRUE(again) << again.error().message;
    const auto got = flaky->read(k_path, std::nullopt);
    ASSERT_TRUE(got);
    expect_data_is(got->data, current + 1);
  }
}

}  // namespace
}  // namespace keyd::adapters
