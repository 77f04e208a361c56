// TokenReview authenticator: one POST per token and cache period, never retried while the client
// waits; the token travels only in the request body (wiped memory). The review limiter in front
// caches answers by the token's SHA-256 (the whole answer: user, whether it may write, the pod a
// bound token belongs to), shares a review among concurrent requests and bounds reviews per second.
#include "keyd/adapters/kube/kube_auth.hpp"
#include "keyd/adapters/kube/review_limiter.hpp"
#include "kube_api.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

using kube::SecretJson;
using kube::string_at;
using kube::wiped;

constexpr const char* k_path = "/apis/authentication.k8s.io/v1/tokenreviews";

constexpr const char* k_pod_name = "authentication.kubernetes.io/pod-name";
constexpr const char* k_pod_uid = "authentication.kubernetes.io/pod-uid";

// The first value of status.user.extra[key] (the API server sends lists of strings), if it looks
// like what Kubernetes puts there: a DNS subdomain for a pod name, a UUID-like uid. Anything else
// is dropped, so the audit trail's actor cannot be made to say something the API server did not.
std::string extra_value(const SecretJson& answer, const char* key) {
  const auto* values = kube::find_at(answer, {"status", "user", "extra", key});
  if (values == nullptr || !values->is_array() || values->empty() || !(*values)[0].is_string()) return {};
  const auto& text = (*values)[0].get_ref<const SecretJson::string_t&>();
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; };
  if (text.empty() || text.size() > 253 || !std::ranges::all_of(text, ok)) {
    spdlog::debug("api: TokenReview: ignoring a malformed user.extra {}", key);
    return {};
  }
  return std::string(text.data(), text.size());
}

class TokenReviewAuthenticator final : public ports::Authenticator {
 public:
  TokenReviewAuthenticator(TokenReviewOptions options, std::shared_ptr<KubeApi> api)
      : m_options(std::move(options)), m_api(std::move(api)) {}

  [[nodiscard]] Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    SecretJson review;
    review["apiVersion"] = "authentication.k8s.io/v1";
    review["kind"] = "TokenReview";
    review["spec"]["token"] = wiped(token);
    auto& audiences = review["spec"]["audiences"];
    audiences = SecretJson::array();
    for (const auto& a : m_options.audiences) audiences.push_back(wiped(a));
    auto answer = m_api->create_once(k_path, review);
    if (!answer) return fail(answer.error().with_context("TokenReview"));

    std::optional<ports::Caller> caller;
    const auto* authenticated = kube::find_at(*answer, {"status", "authenticated"});
    if (authenticated != nullptr && authenticated->is_boolean() && authenticated->get<bool>()) {
      const std::string user = string_at(*answer, {"status", "user", "username"});
      const bool may_write = m_options.allowed_users.empty() ||
                             std::ranges::find(m_options.allowed_users, user) != m_options.allowed_users.end();
      caller = ports::Caller{"k8s:" + user, may_write, extra_value(*answer, k_pod_name), {}};
      if (!caller->pod.empty()) caller->pod_uid = extra_value(*answer, k_pod_uid);
    } else {
      spdlog::debug("api: TokenReview did not authenticate a token: {}", string_at(*answer, {"status", "error"}));
    }
    return caller;
  }

 private:
  TokenReviewOptions m_options;
  std::shared_ptr<KubeApi> m_api;
};

}  // namespace

std::shared_ptr<ports::Authenticator> make_tokenreview_authenticator(TokenReviewOptions options,
                                                                     std::shared_ptr<KubeApi> api,
                                                                     const ports::Clock& clock) {
  ReviewLimits limits = options.limits;
  limits.cache_ttl = options.cache_ttl;
  return make_review_limiter(std::make_shared<TokenReviewAuthenticator>(std::move(options), std::move(api)), limits,
                             clock);
}

}  // namespace keyd::adapters
