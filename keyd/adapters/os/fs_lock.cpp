// FileLock: an exclusive (or, for readers, shared) flock(2) on a lock file, polled with LOCK_NB until a deadline.
#include "keyd/adapters/os/fs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {
namespace {

constexpr auto k_poll_interval = std::chrono::milliseconds(20);
constexpr auto k_report_after = std::chrono::seconds(1);  // say why keyd is waiting, once

}  // namespace

Result<FileLock> FileLock::acquire(const std::filesystem::path& lock_file, std::chrono::milliseconds timeout) {
  return take(lock_file, timeout, false);
}

Result<FileLock> FileLock::acquire_shared(const std::filesystem::path& lock_file, std::chrono::milliseconds timeout) {
  return take(lock_file, timeout, true);
}

Result<FileLock> FileLock::take(const std::filesystem::path& lock_file, std::chrono::milliseconds timeout,
                                bool shared) {
  int fd = -1;
  do {
    fd = shared ? ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC)
                : ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                fmt::format("open lock file {}: {}", lock_file.string(), std::system_category().message(err)));
  }
  FileLock lock(fd);  // closes the descriptor on every early return

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  bool reported = false;
  for (;;) {
    if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0) return lock;
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      return fail(ErrorCode::io, fmt::format("lock {}: {}", lock_file.string(), std::system_category().message(err)));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return fail(ErrorCode::timeout,
                  fmt::format("timed out after {} ms waiting for lock {}", timeout.count(), lock_file.string()));
    }
    if (!reported && now - start >= k_report_after) {
      spdlog::warn("waiting for {} (held by another keyd process); giving up after {} s", lock_file.string(),
                   std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
      reported = true;
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_poll_interval, deadline - now));
  }
}

FileLock::FileLock(FileLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  // Closing the last descriptor of the open file description releases the flock.
  if (m_fd >= 0) ::close(m_fd);
}

}  // namespace keyd::adapters
