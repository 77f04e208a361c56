#include "keyd/adapters/os/fs.hpp"

#include "failing_file_system.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

namespace keyd::adapters {
namespace {

using keyd::testing::FailingFileSystem;
using keyd::testing::read_file;
using keyd::testing::TempDir;
using keyd::testing::write_file;
using namespace std::chrono_literals;

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

mode_t file_mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t m_old;
};

TEST(AtomicWriteFile, WritesContentWithMode0600EvenWithPermissiveUmask) {
  const UmaskGuard umask(0);
  TempDir dir;
  const auto file = dir / "swarm.key";
  ASSERT_TRUE(atomic_write_file(file, as_bytes("hello\n")));
  EXPECT_EQ(read_file(file), "hello\n");
  EXPECT_EQ(file_mode(file), 0600U);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"swarm.key"});
}

TEST(AtomicWriteFile, AppliesTheExactModeDespiteARestrictiveUmask) {
  const UmaskGuard umask(077);
  TempDir dir;
  const auto file = dir / "public.txt";
  ASSERT_TRUE(atomic_write_file(file, as_bytes("x"), 0644));
  EXPECT_EQ(file_mode(file), 0644U);
}

TEST(AtomicWriteFile, ReplacesAnExistingFileAndCreatesParentsWith0700) {
  const UmaskGuard umask(0);
  TempDir dir;
  const auto file = dir / "a" / "b" / "key";
  ASSERT_TRUE(atomic_write_file(file, as_bytes("one")));
  ASSERT_TRUE(atomic_write_file(file, as_bytes("two")));
  EXPECT_EQ(read_file(file), "two");
  EXPECT_EQ(file_mode(dir / "a"), 0700U);
  EXPECT_EQ(file_mode(dir.path() / "a" / "b"), 0700U);
  EXPECT_EQ(names_in(dir.path() / "a" / "b"), std::vector<std::string>{"key"});
}

TEST(AtomicWriteFile, WritesAnEmptyFile) {
  TempDir dir;
  ASSERT_TRUE(atomic_write_file(dir / "empty", {}));
  EXPECT_EQ(read_file(dir / "empty"), "");
}

TEST(AtomicWriteFile, AFailureAtEachStepLeavesTheOldFileAndNoTempFile) {
  // Steps: create_exclusive, write_all, fsync, close, rename, fsync_dir.
  for (int step = 1; step <= 6; ++step) {
    SCOPED_TRACE("failing step " + std::to_string(step));
    TempDir dir;
    const auto file = dir / "swarm.key";
    write_file(file, "old");
    FailingFileSystem fs(step, FailingFileSystem::Mode::once);
    const auto status = atomic_write_file(file, as_bytes("new"), 0600, fs);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::io);
    EXPECT_NE(status.error().message.find(file.string()), std::string::npos) << status.error().message;
    EXPECT_EQ(status.error().message.find("new"), std::string::npos) << "data leaked into the error";
    // Only a failed directory fsync happens after the rename: the new content is then in place.
    EXPECT_EQ(read_file(file), step == 6 ? "new" : "old");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"swarm.key"});
  }
  FailingFileSystem counting(0);
  TempDir dir;
  ASSERT_TRUE(atomic_write_file(dir / "k", as_bytes("new"), 0600, counting));
  EXPECT_EQ(counting.calls(), 6);
}

TEST(AtomicWriteFile, ACrashLeavesTheOldFileIntactAndAtMostATempFile) {
  for (int step = 1; step <= 5; ++step) {
    SCOPED_TRACE("crash at step " + std::to_string(step));
    TempDir dir;
    const auto file = dir / "swarm.key";
    write_file(file, "old");
    FailingFileSystem fs(step, FailingFileSystem::Mode::crash);
    ASSERT_FALSE(atomic_write_file(file, as_bytes("new"), 0600, fs));
    EXPECT_EQ(read_file(file), "old");
    for (const auto& name : names_in(dir.path())) {
      if (name != "swarm.key") {
        EXPECT_TRUE(name.starts_with("swarm.key.tmp-")) << name;
      }
    }
  }
}

TEST(AtomicWriteFile, ErrorsNameThePathAndTheErrno) {
  TempDir dir;
  write_file(dir / "plain", "x");
  const auto target = dir.path() / "plain" / "sub" / "key";
  const auto status = atomic_write_file(target, as_bytes("secret-bytes"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::io);
  EXPECT_NE(status.error().message.find((dir.path() / "plain").string()), std::string::npos) << status.error().message;
  EXPECT_EQ(status.error().message.find("secret-bytes"), std::string::npos);
}

TEST(ReadFiles, ReadSecretAndTextFiles) {
  TempDir dir;
  std::string big(20000, 'k');
  big[12345] = 'Z';
  write_file(dir / "big", big);
  const auto secret = read_secret_file(dir / "big");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->reveal_text(), big);
  const auto text = read_text_file(dir / "big");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, big);
}

TEST(ReadFiles, MissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  const auto secret = read_secret_file(dir / "missing");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, ErrorCode::not_found);
  EXPECT_NE(secret.error().message.find((dir / "missing").string()), std::string::npos);
  EXPECT_NE(secret.error().message.find(std::strerror(ENOENT)), std::string::npos) << secret.error().message;
  const auto text = read_text_file(dir / "missing");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::not_found);
}

TEST(ReadFiles, ReadingADirectoryIsAnIoError) {
  TempDir dir;
  const auto text = read_text_file(dir.path());
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::io);
}

TEST(EnsureDirectory, CreatesNestedDirectoriesWithTheModeAndIsIdempotent) {
  const UmaskGuard umask(0);
  TempDir dir;
  const auto nested = dir.path() / "x" / "y" / "z";
  ASSERT_TRUE(ensure_directory(nested, 0750));
  ASSERT_TRUE(ensure_directory(nested, 0750));
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  EXPECT_EQ(file_mode(nested), 0750U);
}

TEST(EnsureDirectory, FailsWhenAComponentIsAFile) {
  TempDir dir;
  write_file(dir / "file", "x");
  const auto status = ensure_directory(dir.path() / "file" / "sub");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::io);
  EXPECT_NE(status.error().message.find((dir / "file").string()), std::string::npos) << status.error().message;
}

// The real file system, recording the directories it is asked to fsync (and failing that once
// when told to).
class DirSyncRecorder final : public FileSystem {
 public:
  Result<int> create_exclusive(const std::filesystem::path& p, mode_t m) override {
    return real().create_exclusive(p, m);
  }
  Status write_all(int fd, std::span<const std::uint8_t> d) override { return real().write_all(fd, d); }
  Status fsync(int fd) override { return real().fsync(fd); }
  Status close(int fd) override { return real().close(fd); }
  Status rename(const std::filesystem::path& f, const std::filesystem::path& t) override { return real().rename(f, t); }
  Status unlink(const std::filesystem::path& p) override { return real().unlink(p); }
  Status fsync_dir(const std::filesystem::path& dir) override {
    synced.push_back(dir);
    if (fail_next) {
      fail_next = false;
      return fail(ErrorCode::io, "fsync directory " + dir.string() + ": injected failure");
    }
    return real().fsync_dir(dir);
  }
  std::vector<std::filesystem::path> synced;
  bool fail_next = false;

 private:
  static FileSystem& real() { return posix_file_system(); }
};

// A directory keyd creates (the store's, the audit log's, a key file's) is only there after a
// crash if its parent was fsynced after the mkdir: ext4 in its default mode happens to commit it
// with the next file, other file systems need not. Each new directory's parent is fsynced; an
// existing one costs nothing.
TEST(EnsureDirectory, FsyncsTheParentOfEveryDirectoryItCreates) {
  TempDir dir;
  DirSyncRecorder fs;
  const auto nested = dir.path() / "x" / "y" / "z";
  ASSERT_TRUE(ensure_directory(nested, 0700, fs));
  EXPECT_EQ(fs.synced, (std::vector<std::filesystem::path>{dir.path(), dir / "x", dir / "x" / "y"}));
  fs.synced.clear();
  ASSERT_TRUE(ensure_directory(nested, 0700, fs));
  EXPECT_TRUE(fs.synced.empty()) << "nothing created, nothing to sync";

  fs.fail_next = true;
  const auto status = ensure_directory(dir / "w" / "v", 0700, fs);
  ASSERT_FALSE(status) << "a directory that may not survive a crash is an error, not success";
  EXPECT_EQ(status.error().code, ErrorCode::io);
  EXPECT_NE(status.error().message.find(dir.path().string()), std::string::npos) << status.error().message;
}

// atomic_write_file creates missing parents through the same FileSystem, so they are synced too.
TEST(AtomicWriteFile, FsyncsTheParentsOfDirectoriesItCreates) {
  TempDir dir;
  DirSyncRecorder fs;
  const std::array<std::uint8_t, 4> data{'d', 'a', 't', 'a'};
  ASSERT_TRUE(atomic_write_file(dir / "new" / "f", data, 0600, fs));
  EXPECT_EQ(fs.synced, (std::vector<std::filesystem::path>{dir.path(), dir / "new"}));
}

TEST(FileLock, ASecondHolderTimesOutNamingTheLockFile) {
  TempDir dir;
  const auto lock_file = dir / "store.lock";
  auto first = FileLock::acquire(lock_file, 1s);
  ASSERT_TRUE(first);
  const auto start = std::chrono::steady_clock::now();
  const auto second = FileLock::acquire(lock_file, 100ms);
  ASSERT_FALSE(second);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(second.error().code, ErrorCode::timeout);
  EXPECT_NE(second.error().message.find(lock_file.string()), std::string::npos) << second.error().message;
}

TEST(FileLock, IsReleasedOnDestructionAndMove) {
  TempDir dir;
  const auto lock_file = dir / "store.lock";
  {
    auto first = FileLock::acquire(lock_file, 1s);
    ASSERT_TRUE(first);
    FileLock moved = std::move(*first);
    EXPECT_FALSE(FileLock::acquire(lock_file, 30ms));
  }
  EXPECT_TRUE(FileLock::acquire(lock_file, 30ms));
}

TEST(FileLock, AWaiterInAnotherThreadGetsTheLockWhenReleased) {
  TempDir dir;
  const auto lock_file = dir / "store.lock";
  std::optional<FileLock> held(*FileLock::acquire(lock_file, 1s));
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    auto lock = FileLock::acquire(lock_file, 10s);
    acquired = lock.has_value();
  });
  std::this_thread::sleep_for(150ms);
  EXPECT_FALSE(acquired.load());
  held.reset();
  waiter.join();
  EXPECT_TRUE(acquired.load());
}

TEST(FileLock, ExcludesAnotherProcess) {
  TempDir dir;
  const auto lock_file = dir / "store.lock";
  std::array<int, 2> ready{};
  ASSERT_EQ(::pipe(ready.data()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto lock = FileLock::acquire(lock_file, 5s);
    const char ok = lock ? '1' : '0';
    (void)::write(ready[1], &ok, 1);
    std::this_thread::sleep_for(300ms);
    ::_exit(lock ? 0 : 1);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, '1');
  const auto busy = FileLock::acquire(lock_file, 50ms);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::timeout);
  EXPECT_TRUE(FileLock::acquire(lock_file, 10s));  // the child releases it when it exits
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(FileLock, MissingDirectoryIsAnError) {
  TempDir dir;
  const auto lock = FileLock::acquire(dir.path() / "no" / "such" / "lock", 10ms);
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().message.find("lock"), std::string::npos);
}

}  // namespace
}  // namespace keyd::adapters
