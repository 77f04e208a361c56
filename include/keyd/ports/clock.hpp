// Clock: time comes through here so tests control it.
#pragma once

#include "keyd/common/rfc3339.hpp"

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

// RFC 3339 in UTC with nanoseconds, as Vault writes it: the one formatter, in
// keyd/common/rfc3339.hpp, named here too for the callers that print the Clock's time.
using keyd::format_rfc3339;

}  // namespace keyd::ports
