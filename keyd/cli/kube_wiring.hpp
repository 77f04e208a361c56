// The kubernetes target's wiring (part of wiring.cpp's job, and like it allowed to name concrete
// adapters): config.kubernetes → KubeClientOptions → one connection and one API client per
// process, shared by every kubernetes target; a target per config entry.
#pragma once

#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/progress.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/target.hpp"

#include <memory>
#include <optional>

namespace keyd::cli {

// What the kubernetes targets share and what must outlive them. The connection is resolved (from
// the process environment: in-cluster, $KUBECONFIG, ~/.kube/config) and the client made on the
// first api() call only; later calls return the same client, or the same error.
class KubeResources {
 public:
  // The clock and `random` (the jitter of the client's retries) must outlive it.
  KubeResources(config::KubernetesConfig config, const ports::Clock& clock, ports::Random& random);
  [[nodiscard]] Result<std::shared_ptr<adapters::KubeApi>> api();

 private:
  config::KubernetesConfig m_config;
  const ports::Clock& m_clock;
  ports::Random& m_random;
  std::optional<Result<std::shared_ptr<adapters::KubeApi>>> m_api;
};

// A kubernetes target on the shared client; `progress` shows its rollout and must outlive it.
[[nodiscard]] Result<std::unique_ptr<ports::Target>> build_kubernetes_target(const config::TargetConfig& target,
                                                                             KubeResources& kube,
                                                                             const ports::Clock& clock,
                                                                             ports::Progress& progress);

}  // namespace keyd::cli
