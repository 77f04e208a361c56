// Shared test helpers: temporary directories, a controllable clock, a fixed source of jitter,
// running the keyd binary.
#pragma once

#include "keyd/ports/clock.hpp"
#include "keyd/ports/random.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace keyd::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

class FakeClock final : public ports::Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::time_point{
                         std::chrono::seconds{1'790'000'000}})
      : m_now(start) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return m_now; }
  void sleep_for(std::chrono::milliseconds duration) const override {
    m_sleeps.push_back(duration);
    m_now += duration;
  }
  void advance(std::chrono::nanoseconds d) { m_now += d; }
  // Every sleep_for() so far, in order.
  [[nodiscard]] const std::vector<std::chrono::milliseconds>& sleeps() const { return m_sleeps; }

 private:
  mutable std::chrono::system_clock::time_point m_now;
  mutable std::vector<std::chrono::milliseconds> m_sleeps;
};

// A deterministic ports::Random: the same value at every draw (0.5 unless told), so a retry's
// jittered backoff is exact on a FakeClock. Counts its draws.
class FixedRandom final : public ports::Random {
 public:
  explicit FixedRandom(double value = 0.5) : m_value(value) {}
  [[nodiscard]] double uniform() override {
    ++m_draws;
    return m_value;
  }
  [[nodiscard]] int draws() const { return m_draws; }

 private:
  double m_value;
  int m_draws = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Run a program (no shell) with args in `cwd`, with `env` added to a minimal environment
// (PATH, HOME, USER from the test's environment). stdin_data is written to its stdin.
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                          const std::map<std::string, std::string>& env = {}, const std::string& stdin_data = {});

// run_command with the built keyd binary as argv[0].
CommandResult run_keyd(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                       const std::map<std::string, std::string>& env = {}, const std::string& stdin_data = {});

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

}  // namespace keyd::testing
