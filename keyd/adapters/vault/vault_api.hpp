// Vault's HTTP API as pure values: request paths and bodies, response parsing, status meaning.
// No I/O here, so every rule is table-tested.
#pragma once

#include "../os/wiping_allocator.hpp"
#include "keyd/adapters/vault/vault_store.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/secret_store.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keyd::adapters::vault {

using detail::SecretJson;

// API paths (without the /v1/ prefix).
[[nodiscard]] std::string data_path(std::string_view mount, std::string_view path);
[[nodiscard]] std::string metadata_path(std::string_view mount, std::string_view path);
[[nodiscard]] std::string login_path(std::string_view auth_mount);

// Request bodies. Bodies that carry key material or credentials are Secrets.
[[nodiscard]] Secret write_body(const ports::VersionData& data, int cas);
[[nodiscard]] Secret managed_by_body();  // {"custom_metadata":{"managed-by":"keyd"}}
[[nodiscard]] Secret approle_login_body(const Secret& role_id, const Secret& secret_id);
[[nodiscard]] Secret kubernetes_login_body(std::string_view role, const Secret& jwt);
[[nodiscard]] Secret renew_body(std::chrono::seconds increment);

// Parse a response body; a body that is not JSON is an error naming `what`.
[[nodiscard]] Result<SecretJson> parse_json(const Secret& body, std::string_view what);

[[nodiscard]] Result<ports::StoredVersion> parse_read(const SecretJson& doc, std::string_view what);
[[nodiscard]] Result<int> parse_write(const SecretJson& doc, std::string_view what);
[[nodiscard]] Result<ports::PathMetadata> parse_metadata(const SecretJson& doc, std::string_view what);

struct TokenGrant {
  Secret token;                  // empty for lookup/renew of an existing token
  std::chrono::seconds ttl{0};   // 0: never expires (root tokens)
  bool renewable = false;
  VaultIdentity identity;        // login: auth.metadata (role, service account) and auth.entity_id
};
[[nodiscard]] Result<TokenGrant> parse_login(const SecretJson& doc, std::string_view what);   // auth.*
[[nodiscard]] Result<TokenGrant> parse_lookup(const SecretJson& doc, std::string_view what);  // data.ttl

// What a non-2xx answer means, decided once for every call: 404 → not_found (saying when a
// version was deleted or destroyed), 400 CAS mismatch → conflict, 400 → invalid_input,
// 401/403 → unauthorized, 412/429/5xx → unavailable. `what` is "vault GET secret/data/x".
[[nodiscard]] Error status_error(std::string_view what, int status, const Secret& body);
[[nodiscard]] bool is_retryable_status(int status);

}  // namespace keyd::adapters::vault
