// The vault backend's settings: store.vault from the config layered over Vault's usual
// environment variables (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CLIENT_CERT,
// VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY). A value in the config wins; VAULT_TOKEN
// is used only with auth method token and no auth.token_file.
#pragma once

#include "keyd/adapters/vault_store.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/http.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace keyd::cli {

// An environment variable's value, nullopt when unset. The view stays valid while the settings are built.
using EnvLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

// getenv.
[[nodiscard]] EnvLookup process_environment();

struct VaultSettings {
  adapters::VaultOptions options;  // the token (method token) is already read
  ports::TlsOptions tls;
  bool allow_insecure_http = false;
};

// invalid_config when no address is set ("store.vault.address is not set and VAULT_ADDR is empty"),
// no token is available for method token, VAULT_SKIP_VERIFY is not a boolean, or the token file
// cannot be read (the message names the file, never its content).
[[nodiscard]] Result<VaultSettings> vault_settings(const config::VaultStoreConfig& cfg, const EnvLookup& env);

// A file holding one credential (a token, a role or secret ID): surrounding whitespace trimmed,
// at most 64 KiB, printable ASCII only. `what` names it in errors ("store.vault.auth.token_file").
[[nodiscard]] Result<Secret> read_credential_file(const std::filesystem::path& path, std::string_view what);

}  // namespace keyd::cli
