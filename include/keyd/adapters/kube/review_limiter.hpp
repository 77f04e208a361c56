// A guard in front of an authenticator that asks someone else about every token (a TokenReview
// asks the Kubernetes API server), so that unauthenticated clients sending new random tokens
// cannot load that server through keyd: answers are cached by the token's SHA-256 (accepted ones
// for `cache_ttl`, refused ones for `negative_cache_ttl`) in a bounded LRU; concurrent requests
// with the same token share one review; and new tokens are reviewed at most at `reviews_per_second`
// (a token bucket of `burst`): beyond that an unknown token is answered "unavailable" without a
// review, while cached tokens keep working. Errors of the review are not cached.
#pragma once

#include "keyd/ports/api.hpp"
#include "keyd/ports/clock.hpp"

#include <chrono>
#include <cstddef>
#include <memory>

namespace keyd::adapters {

struct ReviewLimits {
  std::chrono::milliseconds cache_ttl{10'000};          // an accepted token is not reviewed again this long
  std::chrono::milliseconds negative_cache_ttl{5'000};  // nor is a refused one
  std::size_t cache_entries = 4096;                     // least recently used answers go first
  int reviews_per_second = 20;                          // new tokens reviewed per second, sustained
  int burst = 40;                                       // and at once
};

// The message of the error a token gets when the bound is reached (the server answers 503 with
// Retry-After).
inline constexpr const char* k_review_rate_limited = "too many new bearer tokens to review; retry later";

[[nodiscard]] std::shared_ptr<ports::Authenticator> make_review_limiter(std::shared_ptr<ports::Authenticator> review,
                                                                        ReviewLimits limits,
                                                                        const ports::Clock& clock);

}  // namespace keyd::adapters
