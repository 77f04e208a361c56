// Clock: time comes through here so tests control it.
#pragma once

#include <chrono>
#include <string>

namespace keyd::ports {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
  // Wait (retry backoff). A fake clock just advances, so tests never sleep.
  virtual void sleep_for(std::chrono::milliseconds duration) const = 0;
};

// RFC 3339 in UTC with nanoseconds, as Vault writes it: 2026-11-27T23:27:25.123456789Z
[[nodiscard]] std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace keyd::ports
