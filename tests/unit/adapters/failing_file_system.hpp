// A FileSystem for failure injection: counts calls and fails the k-th one, and in crash mode every
// later one too (a process that died at step k performs nothing afterwards). A failed close still
// releases the descriptor, as a dying process would.
#pragma once

#include "keyd/adapters/os/fs.hpp"

#include <unistd.h>

#include <string>
#include <vector>

namespace keyd::testing {

class FailingFileSystem final : public adapters::FileSystem {
 public:
  enum class Mode { crash, once };

  explicit FailingFileSystem(int fail_at, Mode mode = Mode::crash) : m_fail_at(fail_at), m_mode(mode) {}

  Result<int> create_exclusive(const std::filesystem::path& path, mode_t mode) override {
    if (inject("create_exclusive " + path.filename().string())) return injected();
    return real().create_exclusive(path, mode);
  }
  Status write_all(int fd, std::span<const std::uint8_t> data) override {
    if (inject("write_all")) return injected();
    return real().write_all(fd, data);
  }
  Status fsync(int fd) override {
    if (inject("fsync")) return injected();
    return real().fsync(fd);
  }
  Status close(int fd) override {
    if (inject("close")) {
      ::close(fd);
      return injected();
    }
    return real().close(fd);
  }
  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (inject("rename " + from.filename().string() + " -> " + to.filename().string())) return injected();
    return real().rename(from, to);
  }
  Status fsync_dir(const std::filesystem::path& dir) override {
    if (inject("fsync_dir")) return injected();
    return real().fsync_dir(dir);
  }
  Status unlink(const std::filesystem::path& path) override {
    if (inject("unlink " + path.filename().string())) return injected();
    return real().unlink(path);
  }

  [[nodiscard]] int calls() const { return m_calls; }
  [[nodiscard]] int failures() const { return m_failures; }
  [[nodiscard]] const std::vector<std::string>& log() const { return m_log; }

 private:
  static adapters::FileSystem& real() { return adapters::posix_file_system(); }
  static std::unexpected<Error> injected() { return fail(ErrorCode::io, "injected failure"); }

  bool inject(std::string op) {
    ++m_calls;
    const bool failing = m_fail_at > 0 && (m_mode == Mode::crash ? m_calls >= m_fail_at : m_calls == m_fail_at);
    m_log.push_back((failing ? "FAIL " : "ok   ") + std::move(op));
    if (failing) ++m_failures;
    return failing;
  }

  int m_fail_at;
  Mode m_mode;
  int m_calls = 0;
  int m_failures = 0;
  std::vector<std::string> m_log;
};

}  // namespace keyd::testing
