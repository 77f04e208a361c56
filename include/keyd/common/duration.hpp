// Go-style durations ("30s", "15m", "720h", "1h30m", "250ms"), as Vault and Kubernetes users write them.
#pragma once

#include "keyd/common/result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace keyd {

// invalid_input for anything else (no sign, no bare numbers except "0", units ns us ms s m h).
[[nodiscard]] Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
// The shortest Go-style spelling, e.g. 5400s → "1h30m".
[[nodiscard]] std::string format_duration(std::chrono::nanoseconds d);

}  // namespace keyd
