// scan_files: walk the given paths (no symlinks followed while walking, .git skipped), read each
// regular file whole and scan it. Read buffers are wiped after each file: they may hold keys.
#include "../os/errno_text.hpp"
#include "keyd/adapters/scan/scan_sources.hpp"
#include "keyd/common/secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace keyd::adapters {

namespace {

namespace fs = std::filesystem;

class FileWalker {
 public:
  FileWalker(ScanResult& result, std::uint64_t max_file_size) : m_result(result), m_max_file_size(max_file_size) {}
  ~FileWalker() { secure_zero(m_buffer.data(), m_buffer.size()); }
  FileWalker(const FileWalker&) = delete;
  FileWalker& operator=(const FileWalker&) = delete;

  // A path given on the command line: followed if it is a symbolic link.
  void root(const fs::path& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec) return error(path.string(), ec.message());
    if (fs::is_directory(status)) return directory(path, display_root(path));
    scan_file(path, path.string());
  }

 private:
  // "." lists its entries as "a/b", other roots as "<root>/a/b".
  static std::string display_root(const fs::path& path) {
    const std::string text = path.string();
    return text == "." || text == "./" ? std::string() : text;
  }
  static std::string join(const std::string& prefix, const std::string& name) {
    if (prefix.empty()) return name;
    return prefix.back() == '/' ? prefix + name : prefix + "/" + name;
  }

  void directory(const fs::path& dir, const std::string& shown) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return error(shown.empty() ? "." : shown, ec.message());
    std::vector<fs::directory_entry> entries;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      entries.push_back(*it);
    }
    if (ec) error(shown.empty() ? "." : shown, ec.message());
    std::ranges::sort(entries, {}, [](const fs::directory_entry& e) { return e.path().filename().string(); });
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      if (name == ".git") continue;
      const std::string child = join(shown, name);
      std::error_code type_ec;
      const auto status = entry.symlink_status(type_ec);
      if (type_ec) {
        error(child, type_ec.message());
      } else if (fs::is_directory(status)) {
        directory(entry.path(), child);
      } else if (fs::is_regular_file(status)) {
        scan_file(entry.path(), child);
      }  // symbolic links, sockets, FIFOs, devices: not followed, not read
    }
  }

  void scan_file(const fs::path& path, const std::string& shown) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return error(shown, detail::errno_text(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return error(shown, detail::errno_text(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > m_max_file_size) {
      ::close(fd);
      m_result.skipped.push_back(
          fmt::format("{}: skipped, {} bytes is over the {} MiB limit", shown, size, m_max_file_size >> 20));
      return;
    }
    if (m_buffer.size() < size) {
      secure_zero(m_buffer.data(), m_buffer.size());
      m_buffer.assign(size, 0);
    }
    std::size_t used = 0;
    while (used < size) {  // a file that shrinks while read is scanned as far as it goes
      const ssize_t n = ::read(fd, m_buffer.data() + used, size - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        secure_zero(m_buffer.data(), used);
        return error(shown, detail::errno_text(err));
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    const std::span<const std::uint8_t> text(m_buffer.data(), used);
    for (const auto& finding : domain::scan_for_keys(text)) m_result.hits.push_back(ScanHit{shown, finding, {}, {}});
    secure_zero(m_buffer.data(), used);
    ++m_result.files;
    m_result.bytes += used;
  }

  void error(const std::string& shown, const std::string& reason) {
    m_result.errors.push_back(Error{ErrorCode::io, fmt::format("cannot read {}: {}", shown, reason)});
  }

  ScanResult& m_result;
  std::uint64_t m_max_file_size;
  std::vector<std::uint8_t> m_buffer;
};

}  // namespace

ScanResult scan_files(const std::vector<std::filesystem::path>& paths, std::uint64_t max_file_size) {
  ScanResult result;
  FileWalker walker(result, max_file_size);
  for (const auto& path : paths) walker.root(path);
  return result;
}

}  // namespace keyd::adapters
