#include "keyd/common/rfc3339.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <optional>

namespace keyd {

namespace {

using namespace std::chrono;

// A cursor over the text: fixed-width digit fields and single expected characters.
class Reader {
 public:
  explicit Reader(std::string_view text) : m_text(text) {}

  std::optional<int> digits(std::size_t width) {
    if (m_at + width > m_text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = m_text[m_at + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    m_at += width;
    return value;
  }
  bool expect(std::string_view any_of) {
    if (m_at >= m_text.size() || any_of.find(m_text[m_at]) == std::string_view::npos) return false;
    ++m_at;
    return true;
  }
  // The fraction after '.', to the nanosecond (further digits are read and dropped); nullopt
  // when no digit follows the dot.
  std::optional<nanoseconds> fraction() {
    std::int64_t nanos = 0;
    int count = 0;
    for (; m_at < m_text.size() && m_text[m_at] >= '0' && m_text[m_at] <= '9'; ++m_at, ++count) {
      if (count < 9) nanos = nanos * 10 + (m_text[m_at] - '0');
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 9; ++i) nanos *= 10;
    return nanoseconds{nanos};
  }
  [[nodiscard]] bool at_end() const { return m_at == m_text.size(); }

 private:
  std::string_view m_text;
  std::size_t m_at = 0;
};

// The ±HH:MM offset or 'Z', as the amount to subtract from the local time.
std::optional<minutes> zone(Reader& in) {
  if (in.expect("Zz")) return minutes{0};
  const bool plus = in.expect("+");
  if (!plus && !in.expect("-")) return std::nullopt;
  const auto h = in.digits(2);
  if (!h || !in.expect(":")) return std::nullopt;
  const auto m = in.digits(2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  const minutes offset{*h * 60 + *m};
  return plus ? offset : -offset;
}

constexpr int k_first_year = 1678;
constexpr int k_last_year = 2261;

std::optional<system_clock::time_point> parse(std::string_view text, DateTimeSeparator separator) {
  Reader in(text);
  const auto y = in.digits(4);
  if (!y || !in.expect("-")) return std::nullopt;
  const auto mo = in.digits(2);
  if (!mo || !in.expect("-")) return std::nullopt;
  const auto d = in.digits(2);
  if (!d || !in.expect(separator == DateTimeSeparator::t_or_space ? "Tt " : "Tt")) return std::nullopt;
  const auto h = in.digits(2);
  if (!h || !in.expect(":")) return std::nullopt;
  const auto mi = in.digits(2);
  if (!mi || !in.expect(":")) return std::nullopt;
  const auto s = in.digits(2);
  if (!s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  nanoseconds fraction{0};
  if (in.expect(".")) {
    const auto f = in.fraction();
    if (!f) return std::nullopt;
    fraction = *f;
  }
  const auto offset = zone(in);
  if (!offset || !in.at_end()) return std::nullopt;
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. Whole years inside that
  // range, with a year's margin for the offset and the fraction, so the arithmetic cannot overflow.
  if (*y < k_first_year || *y > k_last_year) return std::nullopt;
  const auto local = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s};
  return time_point_cast<system_clock::duration>(local - *offset + fraction);
}

}  // namespace

std::string format_rfc3339(system_clock::time_point t, int fraction_digits) {
  const auto secs = floor<seconds>(t);
  auto fraction = duration_cast<nanoseconds>(t - secs).count();
  const std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  fraction_digits = std::clamp(fraction_digits, 0, 9);
  if (fraction_digits == 0) return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", tm);
  for (int i = fraction_digits; i < 9; ++i) fraction /= 10;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:0{}d}Z", tm, fraction, fraction_digits);
}

Result<system_clock::time_point> parse_rfc3339(std::string_view text, DateTimeSeparator separator) {
  if (auto t = parse(text, separator)) return *t;
  return fail(ErrorCode::invalid_input, "not an RFC 3339 time: '" + std::string(text) + "'");
}

}  // namespace keyd
