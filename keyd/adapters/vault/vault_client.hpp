// VaultClient: one Vault API call with everything around it — headers (token, namespace,
// X-Vault-Request), authentication and token lifecycle, bounded retries with backoff and jitter
// (honouring Retry-After), and the status mapping of vault_api. Only 2xx answers come back.
#pragma once

#include "../retry/retry_policy.hpp"
#include "keyd/adapters/vault/vault_store.hpp"
#include "keyd/ports/random.hpp"
#include "vault_api.hpp"

#include <mutex>
#include <optional>
#include <string>

namespace keyd::adapters::vault {

struct Call {
  std::string method;  // GET, POST, PUT, LIST, DELETE
  std::string path;    // API path without /v1/, e.g. secret/data/ipfs-overlay/swarm-key
  std::string query;   // without '?', e.g. version=3
  Secret body;
};

class VaultClient {
 public:
  // `random` (the jitter of the retries) must outlive the client, like the transport and the clock.
  VaultClient(VaultOptions options, ports::HttpTransport& transport, const ports::Clock& clock, ports::Random& random);

  // Perform an authenticated call. 2xx → the response; anything else → the mapped error.
  [[nodiscard]] Result<ports::HttpResponse> call(const Call& call);
  // The same, parsing the JSON body.
  [[nodiscard]] Result<SecretJson> call_json(const Call& call);

  [[nodiscard]] const VaultOptions& options() const { return m_options; }

 private:
  // Send once per attempt with `token` (none: nullptr), retrying what is retryable; no
  // authentication of its own.
  [[nodiscard]] Result<ports::HttpResponse> send_with_retries(const Call& call, const Secret* token);
  // The token to call with, after the lifecycle step that is due (lookup, renewal, login). With
  // `refused`: that token was refused (403), so authenticate again unless another call already has.
  [[nodiscard]] Result<Secret> token_for_call(const Secret* refused);
  [[nodiscard]] Status ensure_token(bool force);
  [[nodiscard]] Status login();
  [[nodiscard]] Status adopt_static_token();
  [[nodiscard]] Status look_up_static_token();
  [[nodiscard]] Status renew_or_relogin();
  [[nodiscard]] ports::HttpRequest build(const Call& call, const Secret* token) const;
  [[nodiscard]] std::string auth_mount() const;

  VaultOptions m_options;
  ports::HttpTransport& m_transport;
  const ports::Clock& m_clock;
  adapters::detail::RetryPolicy m_retry;

  // Calls run concurrently (the daemon's workers); the token and its lifecycle below are m_auth's,
  // and a lifecycle step (login, lookup, renewal) runs with it held, so it happens once.
  std::mutex m_auth;
  Secret m_token;
  std::optional<std::chrono::system_clock::time_point> m_expires;  // nullopt: no expiry
  std::chrono::seconds m_ttl{0};
  bool m_renewable = false;
  // A given token is looked up (its TTL, whether it renews) only once the client has used it this
  // long: a one-shot command never needs its lifetime, and saves the request; a daemon or agent
  // learns it on its first call after that and renews from then on.
  std::optional<std::chrono::system_clock::time_point> m_lookup_at;
};

// How long a given token is used before keyd looks up its TTL (VaultClient::m_lookup_at).
inline constexpr std::chrono::seconds k_token_lookup_after{10};

}  // namespace keyd::adapters::vault
