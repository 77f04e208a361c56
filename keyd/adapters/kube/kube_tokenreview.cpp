// TokenReview authenticator: one POST per token and cache period; the token travels only in the
// request body (wiped memory) and is cached only as its SHA-256, with the whole answer (user,
// whether it may write, the pod a bound token belongs to).
#include "keyd/adapters/kube_auth.hpp"
#include "kube_api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

using kube::SecretJson;
using kube::string_at;
using kube::wiped;

constexpr std::size_t k_max_cached = 1024;
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

std::string digest_of(std::string_view token) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

class TokenReviewAuthenticator final : public ports::Authenticator {
 public:
  TokenReviewAuthenticator(TokenReviewOptions options, std::shared_ptr<KubeApi> api, const ports::Clock& clock)
      : m_options(std::move(options)), m_api(std::move(api)), m_clock(clock) {}

  [[nodiscard]] Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    const std::string key = digest_of(token);
    const auto now = m_clock.now();
    {
      const std::lock_guard lock(m_mutex);
      if (const auto it = m_cache.find(key); it != m_cache.end() && it->second.until > now) return it->second.caller;
    }
    SecretJson review;
    review["apiVersion"] = "authentication.k8s.io/v1";
    review["kind"] = "TokenReview";
    review["spec"]["token"] = wiped(token);
    auto& audiences = review["spec"]["audiences"];
    audiences = SecretJson::array();
    for (const auto& a : m_options.audiences) audiences.push_back(wiped(a));
    auto answer = m_api->create(k_path, review);
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
    const std::lock_guard lock(m_mutex);
    if (m_cache.size() >= k_max_cached) m_cache.clear();
    m_cache[key] = Cached{now + m_options.cache_ttl, caller};
    return caller;
  }

 private:
  struct Cached {
    std::chrono::system_clock::time_point until;
    std::optional<ports::Caller> caller;
  };
  TokenReviewOptions m_options;
  std::shared_ptr<KubeApi> m_api;
  const ports::Clock& m_clock;
  std::mutex m_mutex;
  std::map<std::string, Cached> m_cache;  // SHA-256 of the token → answer
};

}  // namespace

std::shared_ptr<ports::Authenticator> make_tokenreview_authenticator(TokenReviewOptions options,
                                                                     std::shared_ptr<KubeApi> api,
                                                                     const ports::Clock& clock) {
  return std::make_shared<TokenReviewAuthenticator>(std::move(options), std::move(api), clock);
}

}  // namespace keyd::adapters
