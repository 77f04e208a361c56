#include "keyd/domain/schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace keyd::domain {

namespace {

using namespace std::chrono;

constexpr int k_minutes_per_day = 24 * 60;
constexpr std::array<std::string_view, 7> k_day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::uint8_t k_every_day = 0x7f;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t at = s.find(separator, start);
    parts.push_back(trim(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start)));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

std::optional<int> day_index(std::string_view name) {
  if (name.size() != 3) return std::nullopt;
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = std::ranges::find(k_day_names, std::string_view(lower));
  if (it == k_day_names.end()) return std::nullopt;
  return static_cast<int>(it - k_day_names.begin());
}

// "Mon", "Fri-Mon" or "Mon,Wed,Fri-Sat" → day bits.
std::optional<std::uint8_t> parse_days(std::string_view text) {
  std::uint8_t bits = 0;
  for (std::string_view item : split(text, ',')) {
    const std::size_t dash = item.find('-');
    const auto first = day_index(trim(item.substr(0, dash)));
    const auto last = dash == std::string_view::npos ? first : day_index(trim(item.substr(dash + 1)));
    if (!first || !last) return std::nullopt;
    for (int d = *first;; d = (d + 1) % 7) {
      bits = static_cast<std::uint8_t>(bits | (1U << d));
      if (d == *last) break;
    }
  }
  return bits;
}

// "HH:MM" → minutes since midnight; 24:00 only when allow_24.
std::optional<int> parse_time(std::string_view text, bool allow_24) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int hours = 0;
  int minutes = 0;
  const auto h = std::from_chars(text.data(), text.data() + 2, hours);
  const auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  if (h.ec != std::errc() || h.ptr != text.data() + 2 || m.ec != std::errc() || m.ptr != text.data() + 5) {
    return std::nullopt;
  }
  if (minutes > 59 || hours > 24 || (hours == 24 && (minutes != 0 || !allow_24))) return std::nullopt;
  return hours * 60 + minutes;
}

Error window_error(std::string_view entry, std::string_view what) {
  return Error{ErrorCode::invalid_input, "rotation window entry '" + std::string(entry) + "': " + std::string(what)};
}

}  // namespace

Result<RotationWindow> RotationWindow::parse(std::string_view text) {
  RotationWindow window;
  window.m_text = std::string(trim(text));
  if (window.m_text.empty()) return fail(ErrorCode::invalid_input, "rotation window: empty");
  for (std::string_view entry : split(text, ';')) {
    if (entry.empty()) return fail(window_error(entry, "empty entry (a stray ';'?)"));
    const std::size_t space = entry.find_last_of(" \t");
    const std::string_view times = space == std::string_view::npos ? entry : entry.substr(space + 1);
    Range range;
    range.days = k_every_day;
    if (space != std::string_view::npos) {
      const auto days = parse_days(trim(entry.substr(0, space)));
      if (!days) return fail(window_error(entry, "expected days like Mon, Mon-Fri or Mon,Wed,Sat-Sun"));
      range.days = *days;
    }
    const std::size_t dash = times.find('-');
    const auto start = dash == std::string_view::npos ? std::nullopt : parse_time(times.substr(0, dash), false);
    const auto end = dash == std::string_view::npos ? std::nullopt : parse_time(times.substr(dash + 1), true);
    if (!start || !end) return fail(window_error(entry, "expected a UTC time range HH:MM-HH:MM like 02:00-04:00"));
    if (*start == *end) return fail(window_error(entry, "start and end are equal (a whole day is 00:00-24:00)"));
    range.start_minute = *start;
    range.end_minute = *end;
    window.m_ranges.push_back(range);
  }
  return window;
}

bool RotationWindow::contains(TimePoint t) const { return next_open(t) == t; }

TimePoint RotationWindow::next_open(TimePoint t) const {
  const sys_days today = floor<days>(t);
  std::optional<TimePoint> best;
  // A range that crosses midnight may have started yesterday; a weekly pattern repeats within 8 days.
  for (int offset = -1; offset <= 7; ++offset) {
    const sys_days day = today + days{offset};
    const unsigned weekday_bit = 1U << weekday{day}.c_encoding();
    for (const Range& r : m_ranges) {
      if ((r.days & weekday_bit) == 0) continue;
      const TimePoint start = day + minutes{r.start_minute};
      const TimePoint end = day + minutes{r.end_minute + (r.end_minute <= r.start_minute ? k_minutes_per_day : 0)};
      if (end <= t) continue;
      const TimePoint candidate = std::max(start, t);
      if (!best || candidate < *best) best = candidate;
    }
    if (best && *best < day + days{1}) break;  // later days start later still
  }
  return best.value_or(t);  // unreachable for a parsed window (every range has a day)
}

std::optional<RotationSchedule> rotation_schedule(TimePoint created, const RotationPolicy& policy, TimePoint now) {
  if (policy.max_age <= seconds::zero()) return std::nullopt;
  RotationSchedule schedule;
  schedule.due = created + policy.max_age;
  const TimePoint earliest = std::max(schedule.due, now);
  schedule.next = policy.window ? policy.window->next_open(earliest) : earliest;
  return schedule;
}

}  // namespace keyd::domain
