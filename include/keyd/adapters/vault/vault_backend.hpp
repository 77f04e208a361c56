// The vault backend's home: store.vault from the config layered over Vault's usual environment
// variables (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CLIENT_CERT,
// VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY), validated, and the store built on a
// curl transport. A value in the config wins; VAULT_TOKEN is used only with auth method token and
// no auth.token_file.
#pragma once

#include "keyd/adapters/backend/store_backend.hpp"
#include "keyd/adapters/vault/vault_store.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/random.hpp"

namespace keyd::adapters {

// What the vault backend runs with: the store's options (the token, for method token, already
// read) and its transport's TLS settings.
struct VaultBackendOptions {
  VaultOptions store;
  ports::TlsOptions tls;
  bool allow_insecure_http = false;
};

// invalid_config when no address is set ("store.vault.address is not set and VAULT_ADDR is empty"),
// no token is available for method token, VAULT_SKIP_VERIFY is not a boolean, or the token file
// cannot be read (the message names the file, never its content).
[[nodiscard]] Result<VaultBackendOptions> vault_backend_options(const config::VaultStoreConfig& cfg,
                                                                const EnvLookup& env);

// The options above, the address checked (check_vault_address), a curl transport and the store.
// `observer` (may be empty) is told who each AppRole or Kubernetes login authenticated as; `random`
// (the jitter of the retries) must outlive the store.
[[nodiscard]] Result<BuiltStore> make_vault_backend(const config::VaultStoreConfig& cfg, const EnvLookup& env,
                                                    const ports::Clock& clock, ports::Random& random,
                                                    const LoginObserver& observer);

}  // namespace keyd::adapters
