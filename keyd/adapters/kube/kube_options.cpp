#include "keyd/adapters/kube/kube_options.hpp"

namespace keyd::adapters {

KubeClientOptions kube_client_options(const config::KubernetesConfig& cfg) {
  return KubeClientOptions{cfg.kubeconfig, cfg.context};
}

KubeTargetOptions kube_target_options(const config::TargetConfig& target) {
  KubeTargetOptions options;
  options.namespace_name = target.namespace_name;
  options.secret = target.secret;
  options.key = target.key;
  options.adopt = target.adopt;
  for (const config::RestartConfig& workload : target.restart) {
    options.restart.push_back(KubeWorkloadRef{std::string(config::to_string(workload.kind)), workload.name});
  }
  options.strategy = target.strategy;
  options.wait = target.wait;
  options.timeout = target.timeout;
  options.rollback_on_failure = target.rollback_on_failure;
  return options;
}

}  // namespace keyd::adapters
