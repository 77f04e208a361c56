// What every store backend's home (vault_backend.hpp, mcp_backend.hpp, daemon_backend.hpp,
// file_backend.hpp) shares: the store it builds with the transport it talks through, the process
// environment as an injected lookup (so the layering is testable), and credential files.
// Each backend turns its config section (+ the environment) into its adapter's options, validates
// them and builds the store, as external-secrets' provider packages do; the CLI only maps a
// backend to its function.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/secret_store.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace keyd::adapters {

// A store and, for remote backends, the transport it talks through (which must outlive it).
struct BuiltStore {
  std::unique_ptr<ports::HttpTransport> transport;
  std::unique_ptr<ports::SecretStore> store;
};

// Told who a store authenticated as (Vault: the login's role and service account), for the audit actor.
using LoginObserver = std::function<void(std::string_view identity)>;

// An environment variable's value, nullopt when unset. The view stays valid while a backend is built.
// Nothing is copied, so a token in the environment never lands in an unwiped string.
using EnvLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

// getenv.
[[nodiscard]] EnvLookup process_env_lookup();

// A file holding one credential (a token, a role or secret ID): surrounding whitespace trimmed,
// at most 64 KiB, printable ASCII only. `what` names it in errors ("store.vault.auth.token_file").
[[nodiscard]] Result<Secret> read_credential_file(const std::filesystem::path& path, std::string_view what);

// A credential given as text (an environment variable): trimmed, non-empty, printable ASCII only.
[[nodiscard]] Result<Secret> checked_credential(Secret raw, std::string_view what);

}  // namespace keyd::adapters
