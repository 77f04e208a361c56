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

// A workload a kubernetes target restarts when the key changes.
struct RestartConfig {
  std::string kind;  // StatefulSet | Deployment | DaemonSet
  std::string name;
};

// One entry of swarms[].targets. `path` belongs to type file; the other keys to type kubernetes
// (the parser reports keys of the other type).
struct TargetConfig {
  std::string type;  // file | kubernetes
  std::string path;  // file: where the key file is written

  // kubernetes. A target without a secret only restarts (the key never lands in etcd); a target
  // needs a secret, a restart list, or both.
  std::string namespace_name;  // empty: the connection's namespace (kubeconfig context, in-cluster)
  std::string secret;          // the Secret's name
  std::string key = "swarm.key";  // the Secret's data key, [-._a-zA-Z0-9]+
  bool adopt = false;             // take over a Secret keyd did not create
  std::vector<RestartConfig> restart;
  std::string strategy = "rolling";  // rolling | recreate | none
  bool wait = true;                  // follow the rollout to the end
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};  // of the wait
  bool rollback_on_failure = false;  // re-promote the previous key when the rollout fails
};

// Top-level `kubernetes`: how to reach the API server. Both empty: in-cluster service account,
// else $KUBECONFIG, else ~/.kube/config.
struct KubernetesConfig {
  std::string kubeconfig;  // a kubeconfig file
  std::string context;     // empty: its current-context
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
  KubernetesConfig kubernetes;
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
