// Where the connection comes from: an explicit kubeconfig, the in-cluster service account,
// $KUBECONFIG, or ~/.kube/config — in that order.
#include "kube_internal.hpp"

#include "keyd/adapters/os/fs.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

extern char** environ;  // NOLINT: POSIX

namespace keyd::adapters {

namespace kube {

namespace {

std::string env_value(const Environment& env, std::string_view name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

}  // namespace

Result<KubeConnection> load_in_cluster(const Environment& env, const ports::Clock& clock) {
  std::string host = env_value(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = env_value(env, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return fail(ErrorCode::invalid_config, "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  if (host.find(':') != std::string::npos && !host.starts_with('[')) host = fmt::format("[{}]", host);  // IPv6

  std::string dir_override = env_value(env, k_service_account_dir_variable);
  const std::filesystem::path dir(dir_override.empty() ? std::string(k_service_account_dir) : dir_override);
  if (!dir_override.empty()) spdlog::debug("kube: service account files from {} ({})", dir.string(), k_service_account_dir_variable);

  KubeConnection connection;
  connection.server = fmt::format("https://{}:{}", host, port);
  connection.description = "in-cluster";
  auto token = make_token_file_source(dir / "token", "in-cluster service account token", clock);
  if (!token) return fail(std::move(token).error());
  connection.credentials = std::move(*token);

  const auto ca = dir / "ca.crt";
  if (auto readable = read_text_file(ca); !readable) {
    return fail(ErrorCode::invalid_config, fmt::format("in-cluster CA certificate: {}", readable.error().message));
  }
  connection.tls.ca_file = ca.string();

  connection.default_namespace = env_value(env, "POD_NAMESPACE");
  if (connection.default_namespace.empty()) {
    if (auto file = read_text_file(dir / "namespace"); file) connection.default_namespace = trim(*file);
  }
  if (connection.default_namespace.empty()) connection.default_namespace = "default";
  spdlog::debug("kube: in-cluster, server {}, namespace {}", connection.server, connection.default_namespace);
  return connection;
}

}  // namespace kube

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));  // the first one wins
  }
  return env;
}

Result<KubeConnection> load_kube_connection(const KubeClientOptions& options, const Environment& env,
                                            const ports::Clock& clock) {
  const auto value = [&env](std::string_view name) { return kube::env_value(env, name); };
  if (!options.kubeconfig.empty()) return kube::load_kubeconfig({options.kubeconfig}, true, options.context, env, clock);
  // A context names a kubeconfig context, so it never applies to the in-cluster configuration.
  if (options.context.empty() && !value("KUBERNETES_SERVICE_HOST").empty() && !value("KUBERNETES_SERVICE_PORT").empty()) {
    return kube::load_in_cluster(env, clock);
  }
  std::vector<std::filesystem::path> files;
  if (const std::string list = value("KUBECONFIG"); !list.empty()) {
    std::size_t start = 0;
    while (start <= list.size()) {
      const auto end = std::min(list.find(':', start), list.size());
      if (end > start) files.emplace_back(list.substr(start, end - start));
      start = end + 1;
    }
  } else if (const std::string home = value("HOME"); !home.empty()) {
    files.push_back(std::filesystem::path(home) / ".kube" / "config");
  } else {
    return fail(ErrorCode::invalid_config,
                "no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST unset), and neither "
                "KUBECONFIG nor HOME is set");
  }
  auto connection = kube::load_kubeconfig(files, false, options.context, env, clock);
  if (!connection && connection.error().message.ends_with(": no such file")) {
    return fail(std::move(connection).error().with_context(
        "no Kubernetes configuration (not in a cluster: KUBERNETES_SERVICE_HOST unset)"));
  }
  return connection;
}

}  // namespace keyd::adapters
