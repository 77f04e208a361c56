#include "kube_wiring.hpp"

#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/adapters/kube/kube_options.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace keyd::cli {

KubeResources::KubeResources(config::KubernetesConfig config, const ports::Clock& clock, ports::Random& random)
    : m_config(std::move(config)), m_clock(clock), m_random(random) {}

Result<std::shared_ptr<adapters::KubeApi>> KubeResources::api() {
  if (!m_api) {
    m_api = [&]() -> Result<std::shared_ptr<adapters::KubeApi>> {
      const adapters::KubeClientOptions options = adapters::kube_client_options(m_config);
      KEYD_ASSIGN_OR_RETURN(adapters::KubeConnection connection,
                            adapters::load_kube_connection(options, adapters::process_environment(), m_clock));
      spdlog::debug("kubernetes: {} at {}, namespace {}", connection.description, connection.server,
                    connection.default_namespace);
      return adapters::make_kube_api(std::move(connection), m_clock, m_random, m_config.request_timeout);
    }();
  }
  return *m_api;
}

Result<std::unique_ptr<ports::Target>> build_kubernetes_target(const config::TargetConfig& target, KubeResources& kube,
                                                               const ports::Clock& clock, ports::Progress& progress) {
  KEYD_ASSIGN_OR_RETURN(std::shared_ptr<adapters::KubeApi> api, kube.api());
  return adapters::make_kubernetes_target(adapters::kube_target_options(target), std::move(api), clock, progress);
}

}  // namespace keyd::cli
