// Retry policy: bounded attempts, exponential backoff with jitter, honouring Retry-After. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace keyd::domain {

struct BackoffPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{5'000};
  std::chrono::milliseconds retry_after_cap{30'000};
};

// How long to wait after failed attempt number `attempt` (1-based). "Equal jitter": half the
// exponential delay fixed, half scaled by `jitter` in [0, 1), so retries from many clients spread
// out yet never collapse to zero. A server's Retry-After wins when longer, up to retry_after_cap.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, double jitter,
                                                      std::optional<std::chrono::milliseconds> retry_after);

// Retry-After as delta-seconds ("120"). HTTP-dates and garbage give nullopt.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace keyd::domain
