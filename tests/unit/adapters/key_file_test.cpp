// replace_key_file: the unnamed-file (O_TMPFILE) path and the named-temp fallback, a crash at every
// step of each followed by the next write, which leaves no key but the target.
#include "keyd/adapters/os/fs.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/test_support.hpp"
#include "os/temp_name.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::TempDir;
using keyd::testing::write_file;

// The real file system, recording each call; optionally without unnamed files (as on a file system
// that answers O_TMPFILE with EOPNOTSUPP) and "crashing" at call `crash_at`: that call and every
// later one fail, so nothing is cleaned up, as when the process dies there.
class StepFileSystem final : public FileSystem {
 public:
  enum class Unnamed { supported, unsupported };
  explicit StepFileSystem(Unnamed unnamed, int crash_at = 0) : m_unnamed(unnamed), m_crash_at(crash_at) {}

  Result<int> create_exclusive(const std::filesystem::path& path, mode_t mode) override {
    if (step("create_exclusive")) return crashed();
    return real().create_exclusive(path, mode);
  }
  Status write_all(int fd, std::span<const std::uint8_t> data) override {
    if (step("write_all")) return crashed();
    return real().write_all(fd, data);
  }
  Status fsync(int fd) override {
    if (step("fsync")) return crashed();
    return real().fsync(fd);
  }
  Status close(int fd) override {
    if (step("close")) {
      (void)real().close(fd);  // a dying process releases its descriptors
      return crashed();
    }
    return real().close(fd);
  }
  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (step("rename")) return crashed();
    return real().rename(from, to);
  }
  Status fsync_dir(const std::filesystem::path& dir) override {
    if (step("fsync_dir")) return crashed();
    return real().fsync_dir(dir);
  }
  Status unlink(const std::filesystem::path& path) override {
    if (step("unlink")) return crashed();
    return real().unlink(path);
  }
  Result<std::optional<int>> create_unnamed(const std::filesystem::path& dir, mode_t mode) override {
    if (step("create_unnamed")) return crashed();
    if (m_unnamed == Unnamed::unsupported) return std::optional<int>{};
    return real().create_unnamed(dir, mode);
  }
  Status link_unnamed(int fd, const std::filesystem::path& path) override {
    if (step("link_unnamed")) return crashed();
    return real().link_unnamed(fd, path);
  }

  [[nodiscard]] const std::vector<std::string>& calls() const { return m_calls; }
  [[nodiscard]] bool crashed_at_some_step() const { return m_crash_at > 0 && std::cmp_less_equal(m_crash_at, m_calls.size()); }

 private:
  static FileSystem& real() { return posix_file_system(); }
  static std::unexpected<Error> crashed() { return fail(ErrorCode::io, "simulated crash"); }
  bool step(std::string name) {
    m_calls.push_back(std::move(name));
    return m_crash_at > 0 && std::cmp_greater_equal(m_calls.size(), m_crash_at);
  }

  Unnamed m_unnamed;
  int m_crash_at;
  std::vector<std::string> m_calls;
};

// Whether the file system under `dir` has unnamed files (O_TMPFILE): ext4, xfs, btrfs, tmpfs do.
bool has_unnamed_files(const std::filesystem::path& dir) {
  const auto fd = posix_file_system().create_unnamed(dir, 0600);
  if (!fd || !*fd) return false;
  (void)posix_file_system().close(**fd);
  return true;
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string key_text() { return std::string(domain::generate_swarm_key()->canonical_text().reveal_text()); }

std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
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

TEST(ReplaceKeyFile, UsesAnUnnamedFileWhereTheFileSystemHasThem) {
  TempDir dir;
  if (!has_unnamed_files(dir.path())) GTEST_SKIP() << dir.path() << ": the file system has no O_TMPFILE";
  const auto target = dir / "swarm.key";
  const std::string key = key_text();
  StepFileSystem fs(StepFileSystem::Unnamed::supported);
  ASSERT_TRUE(replace_key_file(target, as_bytes(key), {}, fs));
  EXPECT_EQ(fs.calls(), (std::vector<std::string>{"create_unnamed", "write_all", "fsync", "link_unnamed", "close",
                                                   "rename", "fsync_dir"}));
  EXPECT_EQ(read_file(target), key);
  EXPECT_EQ(mode_of(target), 0600);
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"swarm.key"});
}

TEST(ReplaceKeyFile, FallsBackToANamedTempFileWithoutUnnamedFiles) {
  TempDir dir;
  const auto target = dir / "swarm.key";
  write_file(target, "old");
  const std::string key = key_text();
  StepFileSystem fs(StepFileSystem::Unnamed::unsupported);
  ASSERT_TRUE(replace_key_file(target, as_bytes(key), {}, fs));
  EXPECT_EQ(fs.calls(), (std::vector<std::string>{"create_unnamed", "create_exclusive", "write_all", "fsync", "close",
                                                   "rename", "fsync_dir"}));
  EXPECT_EQ(read_file(target), key);
  EXPECT_EQ(mode_of(target), 0600);
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"swarm.key"});
}

// Crash at every step, then run the next write as a new process would (the crashed writer's pid is
// dead by then: its temp file is renamed to carry a dead pid). Afterwards only the target holds a key.
void crash_at_every_step(StepFileSystem::Unnamed unnamed) {
  for (int step = 1;; ++step) {
    SCOPED_TRACE("crash at call " + std::to_string(step));
    TempDir dir;
    const auto target = dir / "swarm.key";
    const std::string old_key = key_text();
    write_file(target, old_key);
    ::chmod(target.c_str(), 0600);
    StepFileSystem crashing(unnamed, step);
    const auto status = replace_key_file(target, as_bytes(key_text()), {}, crashing);
    if (!crashing.crashed_at_some_step()) {
      ASSERT_TRUE(status) << status.error().message;
      EXPECT_EQ(step, 8) << "the write has seven calls";
      return;
    }
    const auto reader = read_file(target);
    EXPECT_TRUE(reader == old_key || step >= 7) << "the target changed before the rename";
    const pid_t gone = dead_pid();
    for (const auto& name : names_in(dir.path())) {
      if (const auto pid = detail::temp_name_writer(name, "swarm.key")) {
        std::filesystem::rename(dir / name, dir / temp_name("swarm.key", gone));
      }
    }
    const std::string next_key = key_text();
    ASSERT_TRUE(replace_key_file(target, as_bytes(next_key)));
    EXPECT_EQ(read_file(target), next_key);
    EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"swarm.key"});
  }
}

TEST(ReplaceKeyFile, ACrashAtAnyStepOfTheUnnamedPathLeavesNoKeyAfterTheNextWrite) {
  if (const TempDir dir; !has_unnamed_files(dir.path())) GTEST_SKIP() << "the test file system has no O_TMPFILE";
  crash_at_every_step(StepFileSystem::Unnamed::supported);
}

TEST(ReplaceKeyFile, ACrashAtAnyStepOfTheFallbackLeavesNoKeyAfterTheNextWrite) {
  crash_at_every_step(StepFileSystem::Unnamed::unsupported);
}

}  // namespace
}  // namespace keyd::adapters
