// A small tmpfs of its own for tests that need a real full disk (ENOSPC). Mounting needs root (CI
// runs as root); elsewhere skip_reason() says why the test cannot run. Unmounted on destruction.
#pragma once

#include "support/test_support.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace keyd::testing {

class SmallTmpfs {
 public:
  // A tmpfs of `bytes` (rounded up to pages by the kernel) mounted at <temp dir>/fs.
  explicit SmallTmpfs(std::size_t bytes) : m_path(m_dir / "fs") {
    std::filesystem::create_directory(m_path);
    if (::geteuid() != 0) {
      m_skip_reason = "mounting a tmpfs needs root (CI runs these tests as root)";
      return;
    }
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", m_path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      m_skip_reason = "mount -t tmpfs " + m_path.string() + " failed: " + std::strerror(errno);
      return;
    }
    m_mounted = true;
  }
  ~SmallTmpfs() {
    if (m_mounted && ::umount2(m_path.c_str(), 0) != 0) ::umount2(m_path.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  // Empty when mounted.
  [[nodiscard]] const std::string& skip_reason() const { return m_skip_reason; }
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  // Takes every free block with <fs>/filler (whole pages, so files that already exist can still
  // grow inside their last page). Returns the blocks left free afterwards (0 when full).
  std::uint64_t fill() {
    const int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return free_blocks();
    std::array<char, 4096> page{};
    while (::write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size())) {
    }
    ::close(fd);
    return free_blocks();
  }
  // Frees what fill() took.
  void free_space() const { std::filesystem::remove(filler()); }

 private:
  [[nodiscard]] std::filesystem::path filler() const { return m_path / "filler"; }
  [[nodiscard]] std::uint64_t free_blocks() const {
    struct statvfs st {};
    return ::statvfs(m_path.c_str(), &st) == 0 ? st.f_bavail : ~std::uint64_t{0};
  }

  TempDir m_dir;
  std::filesystem::path m_path;
  bool m_mounted = false;
  std::string m_skip_reason;
};

}  // namespace keyd::testing
