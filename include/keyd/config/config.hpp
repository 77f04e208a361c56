// keyd's configuration: YAML text parsed by a pure function that reports every problem with
// "<source>:<line>:<column>: <message>". Environment and flags are layered on by the CLI.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/domain/schedule.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::config {

// The fixed sets of names the YAML accepts, parsed once and carried typed; to_string gives the
// YAML spelling back (for messages, metrics and the API).
enum class StoreBackend { file, vault, mcp, daemon };
enum class TargetType { file, kubernetes };
enum class RestartStrategy { rolling, recreate, none };  // how a kubernetes target restarts its workloads
enum class WorkloadKind { stateful_set, deployment, daemon_set };  // StatefulSet | Deployment | DaemonSet
enum class VaultAuthMethod { token, approle, kubernetes };         // how keyd logs in to Vault
enum class AuditSink { file, stdout_lines };  // file | stdout: where the audit trail's lines go
[[nodiscard]] std::string_view to_string(StoreBackend backend) noexcept;
[[nodiscard]] std::string_view to_string(TargetType type) noexcept;
[[nodiscard]] std::string_view to_string(RestartStrategy strategy) noexcept;
[[nodiscard]] std::string_view to_string(WorkloadKind kind) noexcept;
[[nodiscard]] std::string_view to_string(VaultAuthMethod method) noexcept;
[[nodiscard]] std::string_view to_string(AuditSink sink) noexcept;

struct FileStoreConfig {
  std::string dir = ".keyd/store";
  std::string master_key_file;  // empty: <dir>/master.key
  int max_versions = 10;
};

// store.vault.auth. Only the keys of the chosen method may be set.
struct VaultAuthConfig {
  VaultAuthMethod method = VaultAuthMethod::token;
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

// store.mcp: poly-secret-mcp started as a child process. The child's environment is exactly env +
// env_files (file content) + inherit_env (from keyd's environment, when set).
struct McpStoreConfig {
  std::vector<std::string> command;                           // argv; required with backend mcp
  std::vector<std::pair<std::string, std::string>> env;       // plain values; no secret-looking names
  std::vector<std::pair<std::string, std::string>> env_files; // variable → file holding its value
  std::vector<std::string> inherit_env;                       // names passed through
  std::string mount = "secret";
  std::chrono::milliseconds timeout{10'000};  // per request, and for start-up + initialize
};

// store.daemon: a keyd daemon's HTTP API, read-only (GET /v1/swarms/{name} and /v1/swarms/{name}/key).
struct DaemonStoreConfig {
  std::string url;         // required with backend daemon: https://, or http:// to a loopback host
  std::string token_file;  // required with backend daemon: the bearer token, re-read at every request
  std::string ca_file;     // empty: the system trust store
  std::chrono::milliseconds timeout{10'000};  // per request
  int max_attempts = 3;                       // per request, for 429, 5xx and connection errors
};

struct StoreConfig {
  StoreBackend backend = StoreBackend::file;
  FileStoreConfig file;
  VaultStoreConfig vault;    // allowed and ignored with other backends
  McpStoreConfig mcp;        // allowed and ignored with other backends
  DaemonStoreConfig daemon;  // allowed and ignored with other backends
};

// sink file: one hash-chained JSON-lines file (and its .head) on a local disk. sink stdout: the same
// lines on standard output for the cluster's log pipeline, the chain's head kept in the store at
// head_path with check-and-set, so that several keyd processes (two daemon replicas, a CronJob)
// extend one chain (docs/daemon.md, "High availability").
struct AuditConfig {
  AuditSink sink = AuditSink::file;
  std::string file = ".keyd/audit.jsonl";  // sink file
  std::string head_path = "keyd/audit-head";  // sink stdout: a store path no swarm uses
};

// A workload a kubernetes target restarts when the key changes.
struct RestartConfig {
  WorkloadKind kind = WorkloadKind::stateful_set;  // required in the YAML
  std::string name;
};

// One entry of swarms[].targets. `path` belongs to type file; the other keys to type kubernetes
// (the parser reports keys of the other type).
struct TargetConfig {
  TargetType type = TargetType::file;  // required in the YAML
  std::string path;  // file: where the key file is written

  // kubernetes. A target without a secret only restarts (the key never lands in etcd); a target
  // needs a secret, a restart list, or both.
  std::string namespace_name;  // empty: the connection's namespace (kubeconfig context, in-cluster)
  std::string secret;          // the Secret's name
  std::string key = "swarm.key";  // the Secret's data key, [-._a-zA-Z0-9]+
  bool adopt = false;             // take over a Secret keyd did not create
  std::vector<RestartConfig> restart;
  RestartStrategy strategy = RestartStrategy::rolling;
  bool wait = true;                  // follow the rollout to the end
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};  // of the wait
  bool rollback_on_failure = false;  // re-promote the previous key when the rollout fails
};

// Top-level `kubernetes`: how to reach the API server. Both empty: in-cluster service account,
// else $KUBECONFIG, else ~/.kube/config.
struct KubernetesConfig {
  std::string kubeconfig;  // a kubeconfig file
  std::string context;     // empty: its current-context
  std::chrono::milliseconds request_timeout{30'000};  // of each API request (connect included)
};

// swarms[].rotation: scheduled rotation by `keyd daemon` (keyd/config/daemon_schema.cpp).
struct RotationConfig {
  std::chrono::milliseconds max_age{0};  // required: rotate when the current version is this old
  std::optional<domain::RotationWindow> window;  // unset: any time (parsed once, UTC)
};

struct SwarmConfig {
  std::string name;
  std::string path;  // store path; default "<name>/swarm-key"
  std::vector<TargetConfig> targets;
  std::optional<RotationConfig> rotation;  // unset: the daemon never rotates this swarm by itself
  // Who may GET the key from the daemon's API: "token:<name in the tokens file>" or
  // "k8s:<TokenReview username>" (keyd/config/daemon_schema.cpp). Empty: nobody.
  std::vector<std::string> key_readers{};
  // Who may POST rotate and sync for this swarm through the daemon's API; same forms. Empty: nobody.
  std::vector<std::string> operators{};
};

// server.auth.tokenreview: Kubernetes service-account tokens checked with a TokenReview.
struct TokenReviewConfig {
  bool enabled = false;
  std::vector<std::string> audiences;  // empty: the API server's default audience
  // An extra gate on rotate and sync for TokenReview callers (e.g. system:serviceaccount:ops:ci); empty: no
  // extra gate. The caller must also be in the swarm's operators.
  std::vector<std::string> allowed_users;
  // Bounds on what unauthenticated clients can make keyd ask the API server (see review_limiter.hpp).
  std::chrono::milliseconds cache_ttl{10'000};          // an accepted token is not reviewed again this long
  std::chrono::milliseconds negative_cache_ttl{5'000};  // nor is a refused one
  int cache_size = 4096;                                // answers kept, least recently used dropped first
  int reviews_per_second = 20;                          // new tokens reviewed per second; beyond: 503
  int burst = 40;                                       // and at once
};

struct ServerAuthConfig {
  std::string tokens_file;  // lines "<sha256 hex of token> <caller name>"; empty: no bearer tokens
  TokenReviewConfig tokenreview;
};

struct ServerTlsConfig {
  std::string cert_file;
  std::string key_file;
};

// server: the daemon's HTTP API.
struct ServerConfig {
  std::string listen = "127.0.0.1:8750";  // host:port; --listen overrides
  ServerAuthConfig auth;
  std::optional<ServerTlsConfig> tls;       // unset: plain HTTP
  int max_body_bytes = 64 * 1024;
  int threads = 4;                          // worker threads
  int max_connections = 512;               // at once; the excess closes an idle one or gets 503
  std::chrono::milliseconds timeout{10'000};  // read and write timeout per request
};

// leader_election: a coordination.k8s.io/v1 Lease when a kubernetes connection is configured,
// else an exclusive lock on lock_file. Defaults are client-go's.
struct LeaderElectionConfig {
  std::string lease_name = "keyd";
  std::string lease_namespace;  // empty: the connection's namespace
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  std::string lock_file = ".keyd/daemon.lock";
  bool lock_file_set = false;  // lock_file was written in the config (the daemon says when it goes unused)
};

struct Config {
  std::string source;  // file name the config came from, for messages
  StoreConfig store;
  AuditConfig audit;
  KubernetesConfig kubernetes;
  std::vector<SwarmConfig> swarms;
  // keyd daemon
  std::chrono::milliseconds sync_interval{30'000};
  // How many swarms the daemon checks at once: at most this many requests in flight to the store
  // and to Kubernetes (1..32).
  int concurrency = 8;
  ServerConfig server;
  LeaderElectionConfig leader_election;
};

// Parse YAML text. Unknown keys, wrong types, missing required values and invalid values are
// invalid_config errors naming source, line and column (all problems found, one per line).
[[nodiscard]] Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name);

// Read and parse a file. not_found → invalid_config naming the path. Relative file and directory
// paths in it (defaults included) are resolved against the file's directory, so the config means
// the same wherever keyd runs; a relative path that exists only under `working_dir` (empty: the
// process's) — state kept there by keyd 0.1.0, which resolved against it — is an invalid_config
// naming both places, never silently replaced by a new one.
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& path,
                                         const std::filesystem::path& working_dir = {});

// The swarm named `name`, or the only one when name is empty. invalid_config when there is no
// such swarm, or several and no name given (the message lists the names).
[[nodiscard]] Result<const SwarmConfig*> select_swarm(const Config& config, std::string_view name);

}  // namespace keyd::config
