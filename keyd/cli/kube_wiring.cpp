#include "kube_wiring.hpp"

#include "keyd/adapters/kube_connection.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace keyd::cli {

KubeResources::KubeResources(config::KubernetesConfig config, const ports::Clock& clock)
    : m_config(std::move(config)), m_clock(clock) {}

Result<std::shared_ptr<adapters::KubeApi>> KubeResources::api() {
  if (!m_api) {
    m_api = [&]() -> Result<std::shared_ptr<adapters::KubeApi>> {
      const adapters::KubeClientOptions options{m_config.kubeconfig, m_config.context};
      KEYD_ASSIGN_OR_RETURN(adapters::KubeConnection connection,
                            adapters::load_kube_connection(options, adapters::process_environment(), m_clock));
      spdlog::debug("kubernetes: {} at {}, namespace {}", connection.description, connection.server,
                    connection.default_namespace);
      return adapters::make_kube_api(std::move(connection), m_clock);
    }();
  }
  return *m_api;
}

adapters::KubeTargetOptions kube_target_options(const config::TargetConfig& target) {
  adapters::KubeTargetOptions options;
  options.namespace_name = target.namespace_name;
  options.secret = target.secret;
  options.key = target.key;
  options.adopt = target.adopt;
  for (const config::RestartConfig& workload : target.restart) {
    options.restart.push_back(adapters::KubeWorkloadRef{workload.kind, workload.name});
  }
  options.strategy = target.strategy;
  options.wait = target.wait;
  options.timeout = target.timeout;
  options.rollback_on_failure = target.rollback_on_failure;
  return options;
}

Result<std::unique_ptr<ports::Target>> build_kubernetes_target(const config::TargetConfig& target, KubeResources& kube,
                                                               const ports::Clock& clock, ports::Progress& progress) {
  KEYD_ASSIGN_OR_RETURN(std::shared_ptr<adapters::KubeApi> api, kube.api());
  return adapters::make_kubernetes_target(kube_target_options(target), std::move(api), clock, progress);
}

}  // namespace keyd::cli
