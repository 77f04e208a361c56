// keyd bundle: the order of the files, the shared names and labels, and the kustomization.
#include "bundle_parts.hpp"

#include <cctype>

namespace keyd::app {

namespace bundle {

std::string render_keyd_config_text(const config::BundleValues& v);  // bundle_keyd.cpp

Json ipfs_selector(const config::BundleValues& v) { return Json{{"app.kubernetes.io/name", v.name}}; }

// An image's tag as an app.kubernetes.io/version label ("ipfs/kubo:v0.32.1" → "v0.32.1"), or
// nothing: an image pinned by digest has no tag, and a label value is at most 63 characters of
// [A-Za-z0-9._-], starting and ending alphanumeric.
std::optional<std::string> image_version(std::string_view image) {
  if (image.find('@') != std::string_view::npos) return std::nullopt;
  const auto colon = image.rfind(':');
  if (colon == std::string_view::npos || image.find('/', colon) != std::string_view::npos) return std::nullopt;
  const std::string tag(image.substr(colon + 1));
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (tag.empty() || tag.size() > 63 || !alnum(tag.front()) || !alnum(tag.back())) return std::nullopt;
  for (const char c : tag) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return std::nullopt;
  }
  return tag;
}

namespace {

// The recommended labels (app.kubernetes.io/…) of one component of this overlay.
Json recommended_labels(std::string_view name, const config::BundleValues& v, std::string_view component,
                        std::string_view image) {
  Json labels{{"app.kubernetes.io/name", std::string(name)},
              {"app.kubernetes.io/instance", v.name},
              {"app.kubernetes.io/component", std::string(component)},
              {"app.kubernetes.io/part-of", "ipfs-overlay"}};
  if (auto version = image_version(image)) labels["app.kubernetes.io/version"] = *version;
  labels["app.kubernetes.io/managed-by"] = "keyd";
  return labels;
}

}  // namespace

Json ipfs_labels(const config::BundleValues& v) { return recommended_labels(v.name, v, "ipfs", v.ipfs.image); }

Json ipfs_claim_labels(const config::BundleValues& v) {
  return Json{{"app.kubernetes.io/name", v.name},
              {"app.kubernetes.io/component", "ipfs"},
              {"app.kubernetes.io/part-of", "ipfs-overlay"}};
}

Json keyd_labels(const config::BundleValues& v) { return recommended_labels(k_keyd, v, "swarm-key", v.keyd.image); }

Json metadata(std::string_view name, std::string_view ns, const Json& labels) {
  return Json{{"name", std::string(name)}, {"namespace", std::string(ns)}, {"labels", labels}};
}

std::string peers_service(const config::BundleValues& v) { return v.name + "-peers"; }
std::string ipfs_config_map(const config::BundleValues& v) { return v.name + "-overlay"; }

}  // namespace bundle

std::vector<BundleFile> render_bundle(const config::BundleValues& values) {
  using namespace bundle;
  std::vector<BundleFile> files{namespace_file(values), ipfs_config_file(values)};
  if (agent_delivery(values)) files.push_back(agent_file(values));
  files.push_back(statefulset_file(values));
  files.push_back(service_file(values));
  if (values.network_policy.enabled) files.push_back(network_policy_file(values));
  files.push_back(keyd_rbac_file(values));
  files.push_back(keyd_config_file(values));
  if (!daemon_mode(values)) files.push_back(keyd_storage_file(values));  // the daemon's audit is on stdout
  files.push_back(keyd_workload_file(values));
  Json resources = Json::array();
  for (const auto& file : files) resources.push_back(file.name);
  Json kustomization{
      {"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}, {"resources", resources}};
  const std::string where_the_key_is =
      agent_delivery(values)
          ? "# kubectl apply -k <this directory>. The swarm key is not here, nor in any Secret: each IPFS\n"
            "# pod's keyd agent fetches it from Vault (keyd rotate puts one there).\n"
          : "# kubectl apply -k <this directory>. The swarm key is not here: keyd creates the\n# Secret " +
                values.key_delivery.secret + " (keyd rotate / keyd sync).\n";
  files.push_back(BundleFile{"kustomization.yaml",
                             std::string(k_bundle_header) + "\n" + where_the_key_is + to_yaml(kustomization)});
  files.push_back(module_manifest_file(values, files));
  files.push_back(operator_config_file(values));
  return files;
}

std::string render_keyd_config(const config::BundleValues& values) { return bundle::render_keyd_config_text(values); }

std::string render_operator_config(const config::BundleValues& values) {
  return bundle::render_operator_config_text(values);
}

std::optional<std::string> render_agent_config(const config::BundleValues& values) {
  if (!bundle::agent_delivery(values)) return std::nullopt;
  return bundle::render_agent_config_text(values);
}

}  // namespace keyd::app
