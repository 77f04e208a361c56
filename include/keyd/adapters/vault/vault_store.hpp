// The "vault" backend: HashiCorp Vault KV v2 over HTTP(S), with token, AppRole or Kubernetes auth.
// Each version's data is {"swarm.key", "fingerprint", "issued_by", "reason"} so Vault Agent
// templates, External Secrets and the Vault Secrets Operator can consume "swarm.key" unchanged.
#pragma once

#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/secret_store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace keyd::adapters {

// Who Vault says keyd is after a login (the login response's auth.metadata and auth.entity_id):
// for the audit trail. Empty fields were not in the response.
struct VaultIdentity {
  std::string method;      // approle | kubernetes
  std::string auth_mount;  // e.g. kubernetes, k8s-prod
  std::string role;        // kubernetes: metadata.role; approle: metadata.role_name
  std::string service_account_namespace;  // kubernetes
  std::string service_account_name;       // kubernetes
  std::string entity_id;                  // Vault's identity entity, when it has one
};

// "vault:<mount>/<role> sa=<namespace>/<name>" (the parts that are known), e.g.
// "vault:kubernetes/keyd-reader sa=ipfs/ipfs-overlay".
[[nodiscard]] std::string describe_vault_identity(const VaultIdentity& identity);

struct VaultAuthOptions {
  config::VaultAuthMethod method = config::VaultAuthMethod::token;
  // token: the token itself (from $VAULT_TOKEN or token_file, resolved by the caller).
  Secret token;
  std::string token_file;  // re-read on re-authentication when set
  // approle
  std::string role_id_file;
  std::string secret_id_file;
  // kubernetes
  std::string role;
  std::string jwt_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  // auth mount; empty: "approle" or "kubernetes"
  std::string mount;
  // Called after every successful AppRole or Kubernetes login (not for a given token). May be empty.
  std::function<void(const VaultIdentity&)> on_login;
};

struct VaultOptions {
  std::string address;         // https://vault.example:8200 (no trailing /v1)
  std::string mount = "secret";  // KV v2 mount
  std::string namespace_name;  // X-Vault-Namespace, empty for none
  VaultAuthOptions auth;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  int max_attempts = 4;                        // per request, for retryable failures
  std::chrono::milliseconds backoff_base{200};  // first retry after ~base, doubling, with jitter
  std::chrono::milliseconds backoff_cap{5'000};
  std::chrono::milliseconds retry_after_cap{30'000};  // longest Retry-After honoured
};

// The transport, the clock and `random` (the jitter of the retries) must outlive the store.
// Authentication happens lazily on first use (a token is looked up with lookup-self;
// AppRole/Kubernetes log in), so constructing never blocks.
[[nodiscard]] Result<std::unique_ptr<ports::SecretStore>> make_vault_store(VaultOptions options,
                                                                           ports::HttpTransport& transport,
                                                                           const ports::Clock& clock,
                                                                           ports::Random& random);

// invalid_config unless address is https://, or http:// to a loopback host (127.0.0.0/8, ::1,
// localhost), or allow_insecure_http is set.
[[nodiscard]] Status check_vault_address(std::string_view address, bool allow_insecure_http);

}  // namespace keyd::adapters
