// RFC 3339 date-times: keyd's one parser and one formatter. They sit in common because every
// layer meets these strings: the stores write them (Vault, the file store), the domain computes
// rotation schedules from them, the audit trail and the API print them, Kubernetes sends them
// (exec credential expiry, Lease and Event times). Pure: no clock, no time zone but UTC.
#pragma once

#include "keyd/common/result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace keyd {

// UTC with nanoseconds, as Vault writes it: 2026-11-27T23:27:25.123456789Z; with fewer
// fraction digits (0..9) the fraction is cut, not rounded (log lines use 3: …T23:27:25.123Z).
[[nodiscard]] std::string format_rfc3339(std::chrono::system_clock::time_point t, int fraction_digits = 9);

// Between date and time RFC 3339 has 'T' (or 't'); its §5.6 note lets applications take a space
// instead, which the Kubernetes exec-credential reader always did.
enum class DateTimeSeparator { t_only, t_or_space };

// RFC 3339 §5.6 date-time: "2026-11-27T23:27:25Z", an optional fraction of any number of digits
// (kept to the nanosecond), then 'Z' (or 'z') or a ±HH:MM offset (hours 00-23, minutes 00-59);
// digits only, seconds up to 60, years 1678 to 2261 (what system_clock holds). invalid_input naming
// the text otherwise.
[[nodiscard]] Result<std::chrono::system_clock::time_point> parse_rfc3339(
    std::string_view text, DateTimeSeparator separator = DateTimeSeparator::t_only);

}  // namespace keyd
