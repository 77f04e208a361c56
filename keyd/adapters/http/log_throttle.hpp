// A bound on how many lines one kind of event may log: at most `lines` per `interval`; the lines
// dropped in between are counted and reported with the next line let through. A flood of bad
// requests then costs the log a few lines a second, not one line per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace keyd::adapters::http {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LogThrottle(std::uint32_t lines, Clock::duration interval) : m_lines(lines), m_interval(interval) {}

  // Whether a line may be logged at `now`: the number of lines dropped since the last one let
  // through (to say so in it), or nullopt when this one is dropped too. Thread-safe.
  [[nodiscard]] std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now()) {
    const std::lock_guard lock(m_mutex);
    if (now - m_window_start >= m_interval) {
      m_window_start = now;
      m_used = 0;
    }
    if (m_used >= m_lines) {
      ++m_dropped;
      return std::nullopt;
    }
    ++m_used;
    const std::uint64_t dropped = m_dropped;
    m_dropped = 0;
    return dropped;
  }

 private:
  std::mutex m_mutex;
  std::uint32_t m_lines;
  Clock::duration m_interval;
  Clock::time_point m_window_start{};
  std::uint32_t m_used = 0;
  std::uint64_t m_dropped = 0;
};

}  // namespace keyd::adapters::http
