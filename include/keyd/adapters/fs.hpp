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
};

FileSystem& posix_file_system();

// Write data to path atomically: temp file in the same directory (created with `mode`, so key
// bytes are never readable by others, not even briefly) + write + fsync + close + rename +
// directory fsync. On failure the temp file is removed when possible and path is untouched.
// Creates missing parent directories with mode 0700. Errors name the path, never the data.
[[nodiscard]] Status atomic_write_file(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                                       mode_t mode = 0600, FileSystem& fs = posix_file_system());

// Read a whole file into a Secret. not_found when it does not exist; io otherwise.
[[nodiscard]] Result<Secret> read_secret_file(const std::filesystem::path& path);
// Read a whole non-secret file (metadata, audit). not_found when it does not exist.
[[nodiscard]] Result<std::string> read_text_file(const std::filesystem::path& path);
// Read a user-named file that must be small and regular (a key file to inspect or import): never
// blocks on a FIFO and never reads a device on and on. invalid_input, naming the path, for anything
// that is not a regular file or holds more than max_bytes; not_found when it does not exist.
[[nodiscard]] Result<Secret> read_small_regular_file(const std::filesystem::path& path, std::size_t max_bytes);

// mkdir -p with the given mode for directories it creates.
[[nodiscard]] Status ensure_directory(const std::filesystem::path& dir, mode_t mode = 0700);

// An exclusive advisory lock (flock) on a lock file, held for the object's lifetime.
// Serialises concurrent keyd processes. Waits up to `timeout`, then fails with timeout.
class FileLock {
 public:
  [[nodiscard]] static Result<FileLock> acquire(const std::filesystem::path& lock_file,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace keyd::adapters
