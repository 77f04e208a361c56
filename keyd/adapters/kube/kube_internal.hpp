// Internals of the Kubernetes client configuration (kube_connection.hpp): the kubeconfig loader,
// the in-cluster loader, the credential sources and small text helpers they share.
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::kube {

// Test hook: when set in the environment, the in-cluster service-account files (token, ca.crt,
// namespace) are read from this directory instead of k_service_account_dir.
inline constexpr const char* k_service_account_dir_variable = "KEYD_SERVICEACCOUNT_DIR";
inline constexpr const char* k_service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

// How long a token read from a file is used before the file is read again (projected service
// account tokens rotate; kubelet refreshes the file well before the old token expires).
inline constexpr std::chrono::seconds k_token_file_reread{60};

// Text without surrounding spaces, tabs and line breaks.
[[nodiscard]] std::string_view trim(std::string_view text);

// --- credential sources ------------------------------------------------------------------------

// No credentials at all (client certificate only, or an anonymous cluster).
[[nodiscard]] std::shared_ptr<KubeCredentialSource> make_no_credentials();

// A token given inline (kubeconfig `token`).
[[nodiscard]] std::shared_ptr<KubeCredentialSource> make_static_token_source(Secret token);

// A token read from a file (kubeconfig `tokenFile`, the service-account token): read now (an
// unreadable or empty file is invalid_config naming `what` and the path), again when
// k_token_file_reread has passed and on refresh=true. Surrounding whitespace is trimmed.
[[nodiscard]] Result<std::shared_ptr<KubeCredentialSource>> make_token_file_source(std::filesystem::path path,
                                                                                   std::string what,
                                                                                   const ports::Clock& clock);

// A kubeconfig user's exec credential plugin (client.authentication.k8s.io v1 / v1beta1).
struct ExecConfig {
  std::string api_version;
  std::string command;  // a name looked up in PATH, or a path (relative ones already resolved)
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the base environment
  std::string install_hint;
  std::string interactive_mode;  // Never | IfAvailable | Always (keyd never has a terminal)
};

struct ExecSettings {
  std::chrono::milliseconds timeout{30'000};    // then the plugin's process group is killed
  std::chrono::seconds refresh_early{10};       // run again this long before the expiry
};

// Checks the configuration now; runs the plugin on the first get() and then when the cached
// credential expires or on refresh=true. `base_env` is the environment the plugin inherits.
[[nodiscard]] Result<std::shared_ptr<KubeCredentialSource>> make_exec_source(ExecConfig config, Environment base_env,
                                                                             const ports::Clock& clock,
                                                                             ExecSettings settings = {});

// An exec plugin's stdout as credentials: an ExecCredential of `api_version` (the one the
// kubeconfig asked for) with a token or a client certificate and key, and an RFC 3339 expiry or
// none. Errors are unauthorized, start with `shown` and never quote the output.
[[nodiscard]] Result<KubeCredentials> parse_exec_credential(std::string_view out, std::string_view api_version,
                                                            std::string_view shown);

// --- running a plugin ----------------------------------------------------------------------------

struct PluginRun {
  int exit_code = -1;  // 127 when the command was not found
  bool not_found = false;
  Secret out;          // stdout (carries the credential)
};

// Run argv[0] (looked up in env's PATH when it has no '/') with exactly `env`, stdin from
// /dev/null, stdout captured (at most 1 MiB), stderr shared with keyd. timeout: the plugin's
// process group is killed and the result is ErrorCode::timeout naming the command.
[[nodiscard]] Result<PluginRun> run_plugin(const std::vector<std::string>& argv, const Environment& env,
                                           std::chrono::milliseconds timeout);

// --- loaders ---------------------------------------------------------------------------------------

// In-cluster service account: KUBERNETES_SERVICE_HOST/PORT, token, ca.crt, namespace.
[[nodiscard]] Result<KubeConnection> load_in_cluster(const Environment& env, const ports::Clock& clock);

// kubeconfig files merged with kubectl's rules (the first file that sets a map key or
// current-context wins). `explicit_file`: the files must exist (options.kubeconfig); otherwise
// missing ones are skipped, as kubectl skips them in $KUBECONFIG.
[[nodiscard]] Result<KubeConnection> load_kubeconfig(const std::vector<std::filesystem::path>& files,
                                                     bool explicit_file, const std::string& context,
                                                     const Environment& env, const ports::Clock& clock,
                                                     ExecSettings exec_settings = {});

}  // namespace keyd::adapters::kube
