// Internals of keyd bundle (keyd/app/bundle*.cpp): the YAML text emitter and the pieces each
// rendering file contributes.
#pragma once

#include "keyd/app/bundle.hpp"

#include <nlohmann/json.hpp>

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
[[nodiscard]] Json ipfs_labels(const config::BundleValues& v);
[[nodiscard]] Json ipfs_selector(const config::BundleValues& v);
[[nodiscard]] Json keyd_labels();
[[nodiscard]] Json metadata(std::string_view name, std::string_view ns, const Json& labels);
[[nodiscard]] std::string peers_service(const config::BundleValues& v);
[[nodiscard]] std::string ipfs_config_map(const config::BundleValues& v);
inline constexpr std::string_view k_keyd = "keyd";

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
// The module manifest (bundle_manifest.cpp).
[[nodiscard]] BundleFile module_manifest_file(const config::BundleValues& v, const std::vector<BundleFile>& files);

}  // namespace keyd::app::bundle
