// keyd bundle: the order of the files, the shared names and labels, and the kustomization.
#include "bundle_parts.hpp"

namespace keyd::app {

namespace bundle {

std::string render_keyd_config_text(const config::BundleValues& v);  // bundle_keyd.cpp

Json ipfs_selector(const config::BundleValues& v) { return Json{{"app.kubernetes.io/name", v.name}}; }

Json ipfs_labels(const config::BundleValues& v) {
  return Json{{"app.kubernetes.io/name", v.name},
              {"app.kubernetes.io/component", "ipfs"},
              {"app.kubernetes.io/part-of", "ipfs-overlay"}};
}

Json keyd_labels() {
  return Json{{"app.kubernetes.io/name", std::string(k_keyd)},
              {"app.kubernetes.io/component", "swarm-key"},
              {"app.kubernetes.io/part-of", "ipfs-overlay"}};
}

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
  files.push_back(keyd_storage_file(values));
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
  return files;
}

std::string render_keyd_config(const config::BundleValues& values) { return bundle::render_keyd_config_text(values); }

std::optional<std::string> render_agent_config(const config::BundleValues& values) {
  if (!bundle::agent_delivery(values)) return std::nullopt;
  return bundle::render_agent_config_text(values);
}

}  // namespace keyd::app
