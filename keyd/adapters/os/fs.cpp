// Crash-safe local file primitives: the POSIX FileSystem, atomic replacement of a file, whole-file
// reads and mkdir -p. Every error names the path and the errno text, never the data.
#include "keyd/adapters/os/fs.hpp"

#include "errno_text.hpp"
#include "temp_name.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace keyd::adapters {
namespace {

using detail::errno_text;

std::unexpected<Error> errno_error(std::string_view what, const std::filesystem::path& path, int err) {
  const ErrorCode code = err == ENOENT ? ErrorCode::not_found : ErrorCode::io;
  return fail(code, fmt::format("{} {}: {}", what, path.string(), errno_text(err)));
}

std::unexpected<Error> fd_error(std::string_view what, int fd, int err) {
  return fail(ErrorCode::io, fmt::format("{} (fd {}): {}", what, fd, errno_text(err)));
}

int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd = -1;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<int> create_exclusive(const std::filesystem::path& path, mode_t mode) override {
    const int fd = open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return errno_error("create", path, errno);
    // open() applies the umask; set the exact mode so the caller's choice holds either way.
    if (::fchmod(fd, mode) != 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return errno_error("chmod", path, err);
    }
    return fd;
  }

  Status write_all(int fd, std::span<const std::uint8_t> data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return fd_error("write", fd, errno);
      }
      data = data.subspan(static_cast<std::size_t>(n));
    }
    return {};
  }

  Status fsync(int fd) override {
    int rc = 0;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return fd_error("fsync", fd, errno);
    return {};
  }

  Status close(int fd) override {
    // On Linux the descriptor is released even when close reports EINTR; never retry.
    if (::close(fd) != 0 && errno != EINTR) return fd_error("close", fd, errno);
    return {};
  }

  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return fail(ErrorCode::io, fmt::format("rename {} to {}: {}", from.string(), to.string(), errno_text(errno)));
    }
    return {};
  }

  Status fsync_dir(const std::filesystem::path& dir) override {
    const int fd = open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("open directory", dir, errno);
    int rc = 0;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return errno_error("fsync directory", dir, err);
    return {};
  }

  Status unlink(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0) return errno_error("unlink", path, errno);
    return {};
  }

  Result<std::optional<int>> create_unnamed(const std::filesystem::path& dir, mode_t mode) override {
    const int fd = open_retrying(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0) {
      const int err = errno;
      if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) return std::optional<int>{};
      return errno_error("create an unnamed file in", dir, err);
    }
    if (::fchmod(fd, mode) != 0) {
      const int err = errno;
      ::close(fd);
      return errno_error("chmod an unnamed file in", dir, err);
    }
    return std::optional<int>{fd};
  }

  Status link_unnamed(int fd, const std::filesystem::path& path) override {
    // Through /proc (any user); AT_EMPTY_PATH is the fallback without /proc (needs CAP_DAC_READ_SEARCH).
    const std::string self = fmt::format("/proc/self/fd/{}", fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return {};
    const int err = errno;
    if (err == ENOENT && ::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) return {};
    return errno_error("link", path, err);
  }
};

std::filesystem::path parent_or_dot(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

// Read fd to its end through `append`, which receives each chunk (or stops early by returning false);
// closes fd.
template <typename Append>
Status read_fd(int fd, const std::filesystem::path& path, Append&& append) {
  std::array<std::uint8_t, 4096> chunk{};
  Status status;
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = errno_error("read", path, errno);
      break;
    }
    if (n == 0 || !append(std::span<const std::uint8_t>(chunk.data(), static_cast<std::size_t>(n)))) break;
  }
  secure_zero(chunk.data(), chunk.size());
  ::close(fd);
  return status;
}

// Read a whole file through `append`, which receives each chunk.
template <typename Append>
Status read_whole(const std::filesystem::path& path, Append&& append) {
  const int fd = open_retrying(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", path, errno);
  return read_fd(fd, path, [&](std::span<const std::uint8_t> chunk) {
    append(chunk);
    return true;
  });
}

}  // namespace

Result<std::optional<int>> FileSystem::create_unnamed(const std::filesystem::path& /*dir*/, mode_t /*mode*/) {
  return std::optional<int>{};
}

Status FileSystem::link_unnamed(int fd, const std::filesystem::path& path) {
  return fail(ErrorCode::internal,
              fmt::format("link {} (fd {}): this file system has no unnamed files", path.string(), fd));
}

FileSystem& posix_file_system() {
  static PosixFileSystem fs;
  return fs;
}

Status atomic_write_file(const std::filesystem::path& path, std::span<const std::uint8_t> data, mode_t mode,
                         FileSystem& fs) {
  const std::filesystem::path dir = parent_or_dot(path);
  KEYD_TRY(ensure_directory(dir, 0700, fs));
  KEYD_ASSIGN_OR_RETURN(const std::filesystem::path temp, detail::temp_path_for(path));

  const auto context = fmt::format("write {}", path.string());
  const auto created = fs.create_exclusive(temp, mode);
  if (!created) return fail(created.error().with_context(context));
  const int fd = *created;

  const auto abandon = [&](Error error, bool fd_open) -> Status {
    if (fd_open) (void)fs.close(fd);
    (void)fs.unlink(temp);  // best effort: a crash here leaves only a temp file beside path
    return fail(std::move(error).with_context(context));
  };
  if (auto s = fs.write_all(fd, data); !s) return abandon(std::move(s).error(), true);
  if (auto s = fs.fsync(fd); !s) return abandon(std::move(s).error(), true);
  if (auto s = fs.close(fd); !s) return abandon(std::move(s).error(), false);
  if (auto s = fs.rename(temp, path); !s) return abandon(std::move(s).error(), false);
  // The new content is in place; the directory fsync makes the rename durable.
  if (auto s = fs.fsync_dir(dir); !s) return fail(std::move(s).error().with_context(context));
  return {};
}

Status replace_small_file(const std::filesystem::path& path, const std::filesystem::path& spare,
                          std::span<const std::uint8_t> data, mode_t mode) {
  const std::filesystem::path dir = parent_or_dot(path);
  const auto context = fmt::format("write {}", path.string());
  int fd = open_retrying(spare.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);  // a FIFO: ENXIO
  if (fd < 0 && errno == ENOENT) {
    KEYD_TRY(ensure_directory(dir, 0700));
    fd = ::open(spare.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  }
  if (fd < 0) return atomic_write_file(path, data, mode);  // a link, a directory, no access: left alone
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    ::close(fd);
    return atomic_write_file(path, data, mode);
  }
  const auto failed = [&](const char* what, int err) -> Status {
    ::close(fd);
    return fail(ErrorCode::io, fmt::format("{}: {} {}: {}", context, what, spare.string(), errno_text(err)));
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failed("write", n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(data.size())) != 0) return failed("truncate", errno);
  if (::fsync(fd) != 0) return failed("fsync", errno);
  if (::close(fd) != 0) {
    return fail(ErrorCode::io, fmt::format("{}: close {}: {}", context, spare.string(), errno_text(errno)));
  }
  // The spare is complete and durable; it trades places with `path` in one step.
  if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) != 0) {
    const int err = errno;
    if (err != ENOENT && err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) {
      return fail(ErrorCode::io, fmt::format("{}: exchange {} with it: {}", context, spare.string(), errno_text(err)));
    }
    if (::rename(spare.c_str(), path.c_str()) != 0) {
      return fail(ErrorCode::io, fmt::format("{}: rename {} to it: {}", context, spare.string(), errno_text(errno)));
    }
  }
  if (auto synced = posix_file_system().fsync_dir(dir); !synced) {
    return fail(std::move(synced).error().with_context(context));
  }
  return {};
}

Result<Secret> read_secret_file(const std::filesystem::path& path) {
  Secret out;
  KEYD_TRY(read_whole(path, [&](std::span<const std::uint8_t> chunk) {
    const std::size_t old_size = out.size();
    out.resize(old_size + chunk.size());  // Secret::resize wipes the old buffer when it grows
    std::memcpy(out.mutable_bytes().data() + old_size, chunk.data(), chunk.size());
  }));
  return out;
}

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::string out;
  KEYD_TRY(read_whole(path, [&](std::span<const std::uint8_t> chunk) {
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  }));
  return out;
}

Result<Secret> read_small_regular_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
  const int fd = open_retrying(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_error("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISDIR(st.st_mode)  ? "a directory"
                                              : "not a regular file";
    return fail(ErrorCode::invalid_input,
                fmt::format("{}: {}, not a key file (use - to read standard input)", path.string(), kind));
  }
  Secret out;
  bool too_large = false;
  KEYD_TRY(read_fd(fd, path, [&](std::span<const std::uint8_t> chunk) {
    if (out.size() + chunk.size() > max_bytes) {
      too_large = true;
      return false;
    }
    const std::size_t old_size = out.size();
    out.resize(old_size + chunk.size());  // Secret::resize wipes the old buffer when it grows
    std::memcpy(out.mutable_bytes().data() + old_size, chunk.data(), chunk.size());
    return true;
  }));
  if (too_large) {
    return fail(ErrorCode::invalid_input,
                fmt::format("{}: more than {} bytes, not a key file", path.string(), max_bytes));
  }
  return out;
}

Status ensure_directory(const std::filesystem::path& dir, mode_t mode, FileSystem& fs) {
  if (dir.empty()) return {};
  // Usually it is there already: one stat instead of a mkdir and a stat for every component.
  if (struct stat st {}; ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  std::filesystem::path current;
  for (const auto& part : dir) {
    const std::filesystem::path parent = current.empty() ? std::filesystem::path(".") : current;
    current /= part;
    if (part == "/" || part.empty()) continue;
    if (::mkdir(current.c_str(), mode) == 0) {
      // The new entry is in the parent directory: only an fsync of the parent makes it durable.
      if (auto synced = fs.fsync_dir(parent); !synced) {
        return fail(std::move(synced).error().with_context(fmt::format("create directory {}", current.string())));
      }
      continue;
    }
    const int err = errno;
    if (err != EEXIST) return errno_error("create directory", current, err);
    struct stat st {};
    if (::stat(current.c_str(), &st) != 0) return errno_error("stat", current, errno);
    if (!S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::io, fmt::format("create directory {}: exists and is not a directory", current.string()));
    }
  }
  return {};
}

}  // namespace keyd::adapters
