// Rotation schedule: when a swarm key is due (its store version's created_time + max_age) and
// when a rotation may start (an optional weekly window, UTC). Pure: time is always an argument.
//
// Window syntax (docs/daemon.md), one or more entries separated by ';':
//   entry := [days " "] HH:MM "-" HH:MM
//   days  := day or day-day (Mon Tue Wed Thu Fri Sat Sun, any case; ranges may wrap: Fri-Mon),
//            several joined by ',' (Mon,Wed,Fri-Sat); no days means every day
// Times are UTC; the start is inclusive, the end exclusive and may be 24:00. An end at or before
// the start crosses midnight: "Fri 22:00-02:00" is Friday 22:00 to Saturday 02:00 (the days name
// the day the range starts). Examples: "02:00-04:00", "Mon-Fri 01:00-05:00; Sat,Sun 00:00-24:00".
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/rfc3339.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::domain {

using TimePoint = std::chrono::system_clock::time_point;

class RotationWindow {
 public:
  // invalid_input naming the entry and what is wrong.
  [[nodiscard]] static Result<RotationWindow> parse(std::string_view text);

  // Is `t` inside one of the ranges?
  [[nodiscard]] bool contains(TimePoint t) const;
  // The earliest instant >= t inside the window (t itself when contains(t)).
  [[nodiscard]] TimePoint next_open(TimePoint t) const;
  // The text it was parsed from, for messages and the API.
  [[nodiscard]] const std::string& text() const { return m_text; }

 private:
  struct Range {
    std::uint8_t days = 0;  // bit n: weekday with c_encoding n (0 = Sunday)
    int start_minute = 0;   // 0..1439
    int end_minute = 0;     // 1..1440; <= start_minute: ends the next day
  };
  std::vector<Range> m_ranges;
  std::string m_text;
};

struct RotationPolicy {
  std::chrono::seconds max_age{0};  // 0: no scheduled rotation
  std::optional<RotationWindow> window;
};

struct RotationSchedule {
  TimePoint due;   // created + max_age: from then on the key is too old
  TimePoint next;  // when the next rotation may start: the first instant >= max(due, now) in the window
  [[nodiscard]] bool rotate_now(TimePoint now) const { return next <= now; }
};

// nullopt when the policy has no max_age.
[[nodiscard]] std::optional<RotationSchedule> rotation_schedule(TimePoint created, const RotationPolicy& policy,
                                                                TimePoint now);

// RFC 3339 as Vault and keyd's file store write it: the one parser, in keyd/common/rfc3339.hpp,
// named here too for the callers that read created_time as domain::parse_rfc3339.
using keyd::parse_rfc3339;

}  // namespace keyd::domain
