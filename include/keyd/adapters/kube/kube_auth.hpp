// Kubernetes service-account tokens as daemon API credentials, checked with a TokenReview
// (authentication.k8s.io/v1) — the API server says whether the token is valid, for which user,
// and whether it was issued for keyd's audience. keyd's own identity needs `create tokenreviews`
// (ClusterRole system:auth-delegator).
#pragma once

#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/adapters/kube/review_limiter.hpp"
#include "keyd/ports/api.hpp"
#include "keyd/ports/clock.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {

struct TokenReviewOptions {
  std::vector<std::string> audiences;      // empty: the API server's default audience
  std::vector<std::string> allowed_users;  // may rotate and sync; empty: every authenticated user
  std::chrono::milliseconds cache_ttl{10'000};  // accepted answers are cached (by the token's SHA-256) this long
  ReviewLimits limits{};                   // refused answers, cache size, reviews per second (not cache_ttl)
};

// A TokenReview is made once (no retries while the client waits), behind make_review_limiter.

[[nodiscard]] std::shared_ptr<ports::Authenticator> make_tokenreview_authenticator(TokenReviewOptions options,
                                                                                   std::shared_ptr<KubeApi> api,
                                                                                   const ports::Clock& clock);

}  // namespace keyd::adapters
