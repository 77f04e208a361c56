// Crash-safe local file primitives shared by the file store, the file target, the master key and
// the audit log. Every step of an atomic write goes through FileSystem so tests can fail or
// "crash" at each one.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace keyd::adapters {

// The system calls of the write path. PosixFileSystem is the real one; tests wrap it.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // open(O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, mode); returns the fd.
  [[nodiscard]] virtual Result<int> create_exclusive(const std::filesystem::path& path, mode_t mode) = 0;
  [[nodiscard]] virtual Status write_all(int fd, std::span<const std::uint8_t> data) = 0;
  [[nodiscard]] virtual Status fsync(int fd) = 0;
  [[nodiscard]] virtual Status close(int fd) = 0;
  [[nodiscard]] virtual Status rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  [[nodiscard]] virtual Status fsync_dir(const std::filesystem::path& dir) = 0;
  [[nodiscard]] virtual Status unlink(const std::filesystem::path& path) = 0;
  // An unnamed file in `dir` (open(dir, O_TMPFILE|O_WRONLY|O_CLOEXEC), mode set exactly): it has no
  // name until link_unnamed(), so a crash before that leaves nothing behind. nullopt when the file
  // system or the kernel has no unnamed files (EOPNOTSUPP, EISDIR); callers then use a named temp
  // file. The default is nullopt, so a FileSystem without it behaves like such a file system.
  [[nodiscard]] virtual Result<std::optional<int>> create_unnamed(const std::filesystem::path& dir, mode_t mode);
  // Give the unnamed file `fd` the name `path`, which must not exist (linkat).
  [[nodiscard]] virtual Status link_unnamed(int fd, const std::filesystem::path& path);
};

FileSystem& posix_file_system();

// Write data to path atomically: temp file in the same directory (created with `mode`, so key
// bytes are never readable by others, not even briefly) + write + fsync + close + rename +
// directory fsync. On failure the temp file is removed when possible and path is untouched.
// Creates missing parent directories with mode 0700. Errors name the path, never the data.
[[nodiscard]] Status atomic_write_file(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                                       mode_t mode = 0600, FileSystem& fs = posix_file_system());

// atomic_write_file() for a small, non-secret file rewritten often (the audit head), without
// creating or deleting a file each time: the data is written in place into `spare` (created with
// `mode` when missing; rewritten at offset 0, then cut to length, so it needs no new space once it
// has held data as long), fsynced, and then swapped with `path` (renameat2 RENAME_EXCHANGE) and the
// directory fsynced, so `path` changes from its old content to the new in one step and the old
// content becomes the next spare. Why: replacing through a new temp file frees an inode per write,
// and ext4 without a journal skips every recently freed inode when it allocates one, which made a
// daemon's first pass over many swarms quadratic. Falls back to a plain rename of the spare when
// `path` does not exist yet or the file system cannot exchange (EINVAL, ENOSYS, EOPNOTSUPP), and to
// atomic_write_file() when `spare` is something else than a regular file of its own (a directory, a
// link, a file with other names): that is left alone. Readers that must not see a spare being
// rewritten under a name they opened earlier take the writers' lock (a shared flock).
[[nodiscard]] Status replace_small_file(const std::filesystem::path& path, const std::filesystem::path& spare,
                                        std::span<const std::uint8_t> data, mode_t mode = 0600);

// How replace_key_file() creates the file: its mode and, when set, its owner and group (set before
// a single byte is written).
struct KeyFileOptions {
  mode_t mode = 0600;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

// atomic_write_file() for files that hold key material, such that no other name keeps the key: the
// data goes into an unnamed file (O_TMPFILE) that gets a temporary name only just before it is
// renamed over `path`; where the file system has no unnamed files, into a named temp file. Before
// writing, it removes keyd's own temporary files for `path` that a crashed earlier write left
// behind (names of exactly the form keyd makes, regular files, whose writer process is gone or
// that are older than ten minutes); nothing else in the directory is touched.
// Test hook: KEYD_TEST_FS_PAUSE_BEFORE_RENAME_MS=<ms> sleeps with the named temp file complete,
// just before the rename, so that tests can kill the process there.
[[nodiscard]] Status replace_key_file(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                                      const KeyFileOptions& options = {}, FileSystem& fs = posix_file_system());

// Read a whole file into a Secret. not_found when it does not exist; io otherwise.
[[nodiscard]] Result<Secret> read_secret_file(const std::filesystem::path& path);
// Read a whole non-secret file (metadata, audit). not_found when it does not exist.
[[nodiscard]] Result<std::string> read_text_file(const std::filesystem::path& path);
// Read a user-named file that must be small and regular (a key file to inspect or import): never
// blocks on a FIFO and never reads a device on and on. invalid_input, naming the path, for anything
// that is not a regular file or holds more than max_bytes; not_found when it does not exist.
[[nodiscard]] Result<Secret> read_small_regular_file(const std::filesystem::path& path, std::size_t max_bytes);

// mkdir -p with the given mode for directories it creates; the parent of each directory it creates
// is fsynced (fs.fsync_dir), so the new directory survives a crash. An error names the directory.
[[nodiscard]] Status ensure_directory(const std::filesystem::path& dir, mode_t mode = 0700,
                                      FileSystem& fs = posix_file_system());

// An exclusive advisory lock (flock) on a lock file, held for the object's lifetime.
// Serialises concurrent keyd processes. Waits up to `timeout`, then fails with timeout.
class FileLock {
 public:
  [[nodiscard]] static Result<FileLock> acquire(const std::filesystem::path& lock_file,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // A shared lock (LOCK_SH) for a reader: writers holding acquire()'s lock are waited for, other
  // readers are not. Opens the lock file read-only and never creates it: not_found when it is
  // missing, io when it cannot be opened (a reader without write access to the directory).
  [[nodiscard]] static Result<FileLock> acquire_shared(const std::filesystem::path& lock_file,
                                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : m_fd(fd) {}
  [[nodiscard]] static Result<FileLock> take(const std::filesystem::path& lock_file, std::chrono::milliseconds timeout,
                                             bool shared);
  int m_fd = -1;
};

}  // namespace keyd::adapters
