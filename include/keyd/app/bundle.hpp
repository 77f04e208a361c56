// keyd bundle: the ipfs-overlay's Kubernetes manifests (without any key), its kustomization and
// the module manifest for the FlatRacoon orchestrator, rendered from validated values by a pure
// function. Identical values give byte-identical files (no time, no map-order dependence).
#pragma once

#include "keyd/config/bundle_values.hpp"

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

// Every file, in a fixed order: namespace, IPFS ConfigMap, StatefulSet, Services, NetworkPolicy
// (when enabled), keyd's RBAC, ConfigMap, audit PersistentVolumeClaim, CronJob or Deployment,
// kustomization.yaml (listing the Kubernetes files), then ipfs-overlay.manifest.json.
[[nodiscard]] std::vector<BundleFile> render_bundle(const config::BundleValues& values);

// keyd's own configuration as rendered into the keyd ConfigMap (a Vault store, a kubernetes
// target on the key Secret and the StatefulSet). The CLI checks it with config::parse_config.
[[nodiscard]] std::string render_keyd_config(const config::BundleValues& values);

}  // namespace keyd::app
