// A file the fuzz targets rewrite for every input (the parsers under test read paths), in the
// process's own directory under $TMPDIR, removed at exit.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace keyd::fuzz {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    m_path = std::filesystem::path(base != nullptr && *base != '\0' ? base : "/tmp") /
             ("keyd-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

  // Writes `text` to <dir>/<name> with `mode`, replacing what was there.
  std::filesystem::path write(std::string_view name, std::string_view text, mode_t mode = 0600) const {
    const auto file = m_path / name;
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::filesystem::path m_path;
};

// One per process: libFuzzer runs every input in the same process.
inline const TempDir& temp_dir() {
  static const TempDir dir;
  return dir;
}

}  // namespace keyd::fuzz
