#include "keyd/common/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

namespace keyd {

namespace {

using std::chrono::nanoseconds;

struct Unit {
  std::string_view name;
  std::int64_t ns;
};

// Longest names first so "ms" is not read as "m".
constexpr std::array<Unit, 7> k_units{{{"ns", 1},
                                       {"us", 1'000},
                                       {"µs", 1'000},
                                       {"ms", 1'000'000},
                                       {"s", 1'000'000'000},
                                       {"m", 60'000'000'000},
                                       {"h", 3'600'000'000'000}}};

Error bad(std::string_view text, std::string_view why) {
  return Error{ErrorCode::invalid_input,
               "invalid duration '" + std::string(text) + "': " + std::string(why) + " (examples: 30s, 15m, 720h, 1h30m)"};
}

}  // namespace

Result<nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return nanoseconds{0};
  if (text.empty()) return fail(bad(text, "empty"));
  std::int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    if (rest.front() < '0' || rest.front() > '9') return fail(bad(text, "expected a number"));
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc{} || end == rest.data()) return fail(bad(text, "expected a number"));
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    const Unit* unit = nullptr;
    for (const auto& u : k_units) {
      if (rest.starts_with(u.name) && (unit == nullptr || u.name.size() > unit->name.size())) unit = &u;
    }
    if (unit == nullptr) return fail(bad(text, "missing or unknown unit (use ns, us, ms, s, m, h)"));
    rest.remove_prefix(unit->name.size());
    if (value > (std::numeric_limits<std::int64_t>::max() - total) / unit->ns) return fail(bad(text, "too large"));
    total += value * unit->ns;
  }
  return nanoseconds{total};
}

std::string format_duration(nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns < 1'000'000'000) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  const std::int64_t h = ns / 3'600'000'000'000;
  const std::int64_t m = ns / 60'000'000'000 % 60;
  const std::int64_t s = ns / 1'000'000'000 % 60;
  const std::int64_t frac_ms = ns / 1'000'000 % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (m > 0) out += std::to_string(m) + "m";
  if (s > 0 || frac_ms > 0) {
    out += std::to_string(s);
    if (frac_ms > 0) {
      std::string f = std::to_string(frac_ms + 1000).substr(1);
      while (f.back() == '0') f.pop_back();
      out += "." + f;
    }
    out += "s";
  }
  return out;
}

}  // namespace keyd
