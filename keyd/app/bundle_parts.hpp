// Internals of keyd bundle (keyd/app/bundle*.cpp): the YAML text emitter and the pieces each
// rendering file contributes.
#pragma once

#include "keyd/app/bundle.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::app::bundle {

using Json = nlohmann::ordered_json;

// YAML block text of a JSON tree, deterministic and readable. Keys keep their insertion order.
// Strings are plain when every YAML 1.1 and 1.2 reader (sigs.k8s.io/yaml included) reads them
// back as the same string, else double-quoted; multi-line strings are literal blocks. A map key
// starting with "#" is a comment: its string value is written as "# …" lines before the next key.
[[nodiscard]] std::string to_yaml(const Json& document);

// One file of several YAML documents, each preceded by "---", after the bundle header and an
// optional comment (lines without the leading "# ").
[[nodiscard]] std::string yaml_file(std::string_view comment, const std::vector<Json>& documents);

// A comment key for to_yaml (unique within its map: the text is part of the key).
[[nodiscard]] std::string comment(std::string_view text);

// Shared names and labels.
// The recommended app.kubernetes.io labels: name, instance (the overlay's name), component,
// part-of, version (the image's tag, when it has one that is a valid label value) and managed-by.
[[nodiscard]] Json ipfs_labels(const config::BundleValues& v);
// The StatefulSet's volumeClaimTemplates keep the labels they were first rendered with: the API
// server forbids changing them on an existing StatefulSet, so an upgrade must not.
[[nodiscard]] Json ipfs_claim_labels(const config::BundleValues& v);
[[nodiscard]] Json ipfs_selector(const config::BundleValues& v);
[[nodiscard]] Json keyd_labels(const config::BundleValues& v);
[[nodiscard]] std::optional<std::string> image_version(std::string_view image);
[[nodiscard]] Json metadata(std::string_view name, std::string_view ns, const Json& labels);
[[nodiscard]] std::string peers_service(const config::BundleValues& v);
[[nodiscard]] std::string ipfs_config_map(const config::BundleValues& v);
inline constexpr std::string_view k_keyd = "keyd";

// Where Kubo keeps its repository (IPFS_PATH) and who it runs as: the image's user ipfs, uid 1000,
// group users (100). The repository volume and the key file in it are theirs.
inline constexpr std::string_view k_ipfs_path = "/data/ipfs";
inline constexpr int k_kubo_uid = 1000;
inline constexpr int k_kubo_gid = 100;
// Where a Secret with Vault's CA certificate (keyd.vault.ca_secret) is mounted, for keyd and the agent.
inline constexpr std::string_view k_vault_ca_dir = "/var/run/secrets/keyd-vault-ca";

// key_delivery.mode agent: no Secret holds the key; each IPFS pod's keyd agent fetches it.
[[nodiscard]] inline bool agent_delivery(const config::BundleValues& v) { return v.key_delivery.mode == "agent"; }
// keyd.mode daemon: `keyd daemon` in a Deployment, with its API Service on this port (/healthz,
// /readyz, /metrics, /v1/swarms; docs/daemon.md).
inline constexpr int k_daemon_port = 8750;
[[nodiscard]] inline bool daemon_mode(const config::BundleValues& v) { return v.keyd.mode == "daemon"; }

// The agent (bundle_agent.cpp): the pods' ServiceAccount and the agent's ConfigMap, its init
// container, the volumes it needs, and its keyd.yaml (a Vault store read with Kubernetes auth).
[[nodiscard]] std::string node_service_account(const config::BundleValues& v);
[[nodiscard]] BundleFile agent_file(const config::BundleValues& v);
[[nodiscard]] Json agent_init_container(const config::BundleValues& v);
[[nodiscard]] std::vector<Json> agent_volumes(const config::BundleValues& v);
[[nodiscard]] std::string render_agent_config_text(const config::BundleValues& v);

// The IPFS side (bundle_ipfs.cpp) and keyd's side (bundle_keyd.cpp): {file name, content}.
[[nodiscard]] BundleFile namespace_file(const config::BundleValues& v);
[[nodiscard]] BundleFile ipfs_config_file(const config::BundleValues& v);
[[nodiscard]] BundleFile statefulset_file(const config::BundleValues& v);
[[nodiscard]] BundleFile service_file(const config::BundleValues& v);
[[nodiscard]] BundleFile network_policy_file(const config::BundleValues& v);
[[nodiscard]] BundleFile keyd_rbac_file(const config::BundleValues& v);
[[nodiscard]] BundleFile keyd_config_file(const config::BundleValues& v);
[[nodiscard]] BundleFile keyd_storage_file(const config::BundleValues& v);
[[nodiscard]] BundleFile keyd_workload_file(const config::BundleValues& v);
[[nodiscard]] std::string render_operator_config_text(const config::BundleValues& v);
// operator/keyd.yaml: keyd for an operator's workstation (not a Kubernetes object, not in the kustomization).
[[nodiscard]] BundleFile operator_config_file(const config::BundleValues& v);
// The module manifest (bundle_manifest.cpp).
[[nodiscard]] BundleFile module_manifest_file(const config::BundleValues& v, const std::vector<BundleFile>& files);

}  // namespace keyd::app::bundle
