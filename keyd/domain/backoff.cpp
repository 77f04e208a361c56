#include "keyd/domain/backoff.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace keyd::domain {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, double jitter,
                                        std::optional<std::chrono::milliseconds> retry_after) {
  using std::chrono::milliseconds;
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const std::int64_t cap = policy.cap.count();
  const std::int64_t exponential = std::min(cap, policy.base.count() << doublings);
  const double j = std::clamp(jitter, 0.0, 1.0);
  const auto half = static_cast<double>(exponential) / 2.0;
  auto delay = milliseconds{static_cast<std::int64_t>(half + j * half)};
  if (retry_after) delay = std::max(delay, std::min(*retry_after, policy.retry_after_cap));
  return delay;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return std::chrono::milliseconds{seconds * 1000};
}

}  // namespace keyd::domain
