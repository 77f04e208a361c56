// keyd bundle: the ipfs-overlay's Kubernetes manifests (without any key), its kustomization and
// the module manifest for the FlatRacoon orchestrator, rendered from validated values by a pure
// function. Identical values give byte-identical files (no time, no map-order dependence).
#pragma once

#include "keyd/config/bundle_values.hpp"

#include <optional>
#include <string>
#include <vector>

namespace keyd::app {

struct BundleFile {
  std::string name;     // file name inside the output directory (no directories)
  std::string content;  // YAML or JSON text, ending with a newline
};

// The first line of every rendered YAML file: how `keyd bundle` recognises a directory it made.
inline constexpr std::string_view k_bundle_header =
    "# Rendered by keyd bundle: do not edit. Change values.yaml and run keyd bundle again.";

// The module manifest's file name.
inline constexpr std::string_view k_module_manifest = "ipfs-overlay.manifest.json";

// The operator's keyd configuration, relative to the bundle directory (render_operator_config).
inline constexpr std::string_view k_operator_config = "operator/keyd.yaml";

// Every file, in a fixed order: namespace, IPFS ConfigMap, the agent's ServiceAccount and
// ConfigMap (key_delivery.mode agent), StatefulSet, Services, NetworkPolicy (when enabled), keyd's
// RBAC, ConfigMap, audit PersistentVolumeClaim, CronJob or Deployment (with its Service),
// kustomization.yaml (listing the Kubernetes files), ipfs-overlay.manifest.json, then
// operator/keyd.yaml (keyd for an operator's workstation; a subdirectory, so neither kubectl apply -k
// nor kubectl apply -f on the directory reads it).
[[nodiscard]] std::vector<BundleFile> render_bundle(const config::BundleValues& values);

// keyd's own configuration as rendered into the keyd ConfigMap (a Vault store, a kubernetes
// target on the key Secret — restart-only with agent delivery — and the StatefulSet; with
// keyd.mode daemon also sync_interval, server, leader_election and the swarm's rotation). The CLI
// checks it with config::parse_config.
[[nodiscard]] std::string render_keyd_config(const config::BundleValues& values);

// The agent's configuration (the <name>-keyd-agent ConfigMap) with key_delivery.mode agent, else
// nullopt: a Vault store read with Kubernetes auth and the swarm's path, no targets.
[[nodiscard]] std::optional<std::string> render_agent_config(const config::BundleValues& values);

// keyd for an operator's workstation (operator/keyd.yaml): the same store path, swarm, Secret,
// namespace and StatefulSet as render_keyd_config, Vault from VAULT_ADDR/VAULT_TOKEN, a local audit
// file. The CLI checks it with config::parse_config.
[[nodiscard]] std::string render_operator_config(const config::BundleValues& values);

}  // namespace keyd::app
