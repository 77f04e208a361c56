// The kubernetes backend's options home: config.kubernetes → how to connect, a `type: kubernetes`
// target entry → the target's options. (Connecting and sharing one client is the wiring's.)
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/config/config.hpp"

namespace keyd::adapters {

[[nodiscard]] KubeClientOptions kube_client_options(const config::KubernetesConfig& cfg);

[[nodiscard]] KubeTargetOptions kube_target_options(const config::TargetConfig& target);

}  // namespace keyd::adapters
