// keyd's configuration: YAML text parsed by a pure function that reports every problem with
// "<source>:<line>:<column>: <message>". Environment and flags are layered on by the CLI.
#pragma once

#include "keyd/common/result.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::config {

struct FileStoreConfig {
  std::string dir = ".keyd/store";
  std::string master_key_file;  // empty: <dir>/master.key
  int max_versions = 10;
};

// store.vault.auth. Only the keys of the chosen method may be set.
struct VaultAuthConfig {
  std::string method = "token";  // token | approle | kubernetes
  std::string token_file;        // token; empty: $VAULT_TOKEN (layered by the CLI)
  std::string role_id_file;      // approle, required
  std::string secret_id_file;    // approle, required
  std::string role;              // kubernetes, required
  std::string jwt_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";  // kubernetes
  std::string mount;             // auth mount; empty: "approle" / "kubernetes"
};

// store.vault.tls. Empty strings are unset; the CLI fills them from VAULT_CACERT & co.
struct VaultTlsConfig {
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;  // requires client_cert_file
  std::string server_name;
  std::optional<bool> insecure_skip_verify;  // unset: $VAULT_SKIP_VERIFY, else false
};

// store.vault. The parser requires nothing here: address may come from $VAULT_ADDR (the CLI checks).
struct VaultStoreConfig {
  std::string address;  // empty: $VAULT_ADDR
  std::string mount = "secret";
  std::optional<std::string> namespace_name;  // unset: $VAULT_NAMESPACE; "" means no namespace
  bool allow_insecure_http = false;
  std::chrono::milliseconds timeout{30'000};  // per request
  std::chrono::milliseconds connect_timeout{5'000};
  int max_attempts = 4;
  VaultAuthConfig auth;
  VaultTlsConfig tls;
};

struct StoreConfig {
  std::string backend = "file";  // file | vault (later: mcp)
  FileStoreConfig file;
  VaultStoreConfig vault;  // allowed and ignored with backend file
};

struct AuditConfig {
  std::string file = ".keyd/audit.jsonl";
};

struct TargetConfig {
  std::string type;  // file (later: kubernetes)
  std::string path;  // for type file
};

struct SwarmConfig {
  std::string name;
  std::string path;  // store path; default "<name>/swarm-key"
  std::vector<TargetConfig> targets;
};

struct Config {
  std::string source;  // file name the config came from, for messages
  StoreConfig store;
  AuditConfig audit;
  std::vector<SwarmConfig> swarms;
};

// Parse YAML text. Unknown keys, wrong types, missing required values and invalid values are
// invalid_config errors naming source, line and column (all problems found, one per line).
[[nodiscard]] Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name);

// Read and parse a file. not_found → invalid_config naming the path.
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& path);

// The swarm named `name`, or the only one when name is empty. invalid_config when there is no
// such swarm, or several and no name given (the message lists the names).
[[nodiscard]] Result<const SwarmConfig*> select_swarm(const Config& config, std::string_view name);

}  // namespace keyd::config
