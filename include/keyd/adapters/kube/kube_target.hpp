// The "kubernetes" target: puts the key into a Secret (create, or update with the read
// resourceVersion; no write when the fingerprint is current), then restarts the workloads that
// read it by patching the pod template annotation keyd.io/swarm-key-fingerprint (the value derives
// from the key, so a restart happens exactly once per key), and follows the rollout to the end.
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/progress.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/target.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {

struct KubeWorkloadRef {
  std::string kind;  // StatefulSet | Deployment | DaemonSet
  std::string name;
};

struct KubeTargetOptions {
  std::string namespace_name;  // empty: the connection's default namespace
  std::string secret;          // empty: restart-only target (the key never lands in etcd)
  std::string key = "swarm.key";
  bool adopt = false;          // take over a Secret keyd did not create
  std::vector<KubeWorkloadRef> restart;
  config::RestartStrategy strategy = config::RestartStrategy::rolling;
  bool wait = true;                  // follow the rollout to the end
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  bool rollback_on_failure = false;  // used by the use case: re-promote the previous version
};

// One API client per connection, shared by the targets that use it. The clock and `random` (the
// jitter of its retries) must outlive it.
class KubeApi;
// `request_timeout` bounds each API request (kubernetes.request_timeout, default 30 s).
[[nodiscard]] Result<std::shared_ptr<KubeApi>> make_kube_api(
    KubeConnection connection, const ports::Clock& clock, ports::Random& random,
    std::chrono::milliseconds request_timeout = std::chrono::milliseconds(30'000));

[[nodiscard]] Result<std::unique_ptr<ports::Target>> make_kubernetes_target(KubeTargetOptions options,
                                                                            std::shared_ptr<KubeApi> api,
                                                                            const ports::Clock& clock,
                                                                            ports::Progress& progress);

}  // namespace keyd::adapters
