// keyd bundle: ipfs-overlay.manifest.json, the machine-readable module manifest the FlatRacoon
// orchestrator reads to wire the storage layer (fields documented in docs/bundle.md).
#include "bundle_parts.hpp"

namespace keyd::app::bundle {

namespace {

std::string service_url(const config::BundleValues& v, std::string_view address) {
  return "http://" + v.name + "." + v.namespace_name + ".svc:" + std::to_string(config::multiaddr_tcp_port(address));
}

Json endpoint(const config::BundleValues& v, std::string_view address, std::string_view path) {
  const bool local = config::multiaddr_is_loopback(address);
  return Json{{"url", local ? Json(nullptr) : Json(service_url(v, address) + std::string(path))},
              {"listen", std::string(address)},
              {"in_cluster", !local}};
}

}  // namespace

BundleFile module_manifest_file(const config::BundleValues& v, const std::vector<BundleFile>& files) {
  Json requires_list = Json::array(
      {Json{{"name", "kubernetes"},
            {"version", ">=1.25"},
            {"kinds", Json::array({"StatefulSet", daemon_mode(v) ? "Deployment" : "CronJob", "NetworkPolicy"})}},
       Json{{"name", "zerotier"},
            {"provider", "zerotier-k8s-link"},
            {"network_id", v.zerotier.network_id.empty() ? Json(nullptr) : Json(v.zerotier.network_id)},
            {"host_network", v.zerotier.host_network},
            {"node_selector", v.zerotier.node_selector.empty() ? Json::object() : Json(v.zerotier.node_selector)}},
       Json{{"name", "keyd-store"},
            {"backend", "vault"},
            {"address", v.keyd.vault.address},
            {"path", v.keyd.vault.mount + "/data/" + v.keyd.path},
            {"auth_method", config::to_string(v.keyd.vault.auth_method)}}});
  if (v.ipfs.replicas > 1 || (daemon_mode(v) && v.keyd.daemon.replicas > 1)) {
    requires_list[0]["kinds"].push_back("PodDisruptionBudget");
  }
  if (agent_delivery(v)) {  // the Vault role the pods' agent logs in with: the operator creates it
    const config::BundleAgent& agent = v.key_delivery.agent;
    requires_list[2]["agent"] =
        Json{{"address", agent.vault_address.empty() ? v.keyd.vault.address : agent.vault_address},
             {"auth_mount", agent.auth_mount},
             {"role", agent.role},
             {"service_account", node_service_account(v)},
             {"audience", agent.audience}};
  }
  Json api = endpoint(v, v.ipfs.api_address, "/api/v0");
  api["protocol"] = "kubo-rpc";
  api["method"] = "POST";
  Json gateway = endpoint(v, v.ipfs.gateway_address, "");
  gateway["protocol"] = "http";
  Json swarm{{"protocol", "libp2p-pnet"},
             {"port", config::multiaddr_tcp_port(v.ipfs.swarm_addresses.front())},
             {"listen", v.ipfs.swarm_addresses},
             {"bootstrap", v.ipfs.bootstrap},
             {"key_secret", agent_delivery(v) ? Json(nullptr) : Json(v.key_delivery.secret)},
             {"key_fingerprint_annotation", "keyd.io/swarm-key-fingerprint"}};
  Json health = endpoint(v, v.ipfs.api_address, "/api/v0/id");
  health["method"] = "POST";
  health["exec"] = Json::array({"ipfs", "id"});
  Json provides =
      Json::array({Json{{"name", "ipfs-api"}, {"endpoint", api}}, Json{{"name", "ipfs-gateway"}, {"endpoint", gateway}},
                   Json{{"name", "swarm"}, {"endpoint", swarm}}});
  if (daemon_mode(v)) {
    provides.push_back(Json{
        {"name", "keyd-api"},
        {"endpoint",
         {{"url", "http://" + std::string(k_keyd) + "." + v.namespace_name + ".svc:" + std::to_string(k_daemon_port)},
          {"protocol", "keyd-api"},
          {"auth", "tokenreview"},
          {"audience", "keyd"}}}});
  }
  Json manifests = Json::array();
  for (const auto& file : files) manifests.push_back(file.name);
  Json manifest{
      {"module", "ipfs-overlay"},
      {"version", v.version},
      {"layer", "storage"},
      {"namespace", v.namespace_name},
      {"image", v.ipfs.image},
      {"replicas", v.ipfs.replicas},
      {"requires", requires_list},
      {"provides", provides},
      {"health_endpoint", health},
      {"api_endpoint", api["url"]},
      {"key_delivery", v.key_delivery.mode},
      {"keyd", {{"mode", v.keyd.mode}, {"schedule", v.keyd.mode == "cronjob" ? Json(v.keyd.schedule) : Json(nullptr)}}},
      {"manifests", manifests},
      {"apply", "kubectl apply -k ."}};
  return {std::string(k_module_manifest), manifest.dump(2) + "\n"};
}

}  // namespace keyd::app::bundle
