// keyd bundle, the IPFS side: namespace, Kubo's settings and init script, StatefulSet, Services,
// NetworkPolicy. Each fixes a bug of the original ipfs-overlay manifests (named where it is fixed).
#include "bundle_parts.hpp"

#include <algorithm>

namespace keyd::app::bundle {

using config::BundleValues;

namespace {

constexpr std::string_view k_settings_dir = "/etc/ipfs-overlay";
constexpr std::string_view k_key_dir = "/var/run/ipfs-overlay/swarm-key";

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The distinct swarm ports, in the order of the addresses, with their port names.
std::vector<std::pair<std::string, int>> swarm_ports(const BundleValues& v) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& addr : v.ipfs.swarm_addresses) {
    const int port = config::multiaddr_tcp_port(addr);
    if (std::ranges::find(out, port, &std::pair<std::string, int>::second) != out.end()) continue;
    out.emplace_back(out.empty() ? std::string("swarm") : "swarm-" + std::to_string(port), port);
  }
  return out;
}
int api_port(const BundleValues& v) { return config::multiaddr_tcp_port(v.ipfs.api_address); }
int gateway_port(const BundleValues& v) { return config::multiaddr_tcp_port(v.ipfs.gateway_address); }

// `ipfs config --json KEY VALUE` lines: the settings the overlay needs, applied on every start.
std::string settings_lines(const BundleValues& v) {
  Json bootstrap = Json::array();
  for (const auto& peer : v.ipfs.bootstrap) bootstrap.push_back(peer);
  Json swarm = Json::array();
  for (const auto& addr : v.ipfs.swarm_addresses) swarm.push_back(addr);
  const std::vector<std::pair<std::string, Json>> settings{
      {"Bootstrap", bootstrap},
      {"Addresses.Swarm", swarm},
      {"Addresses.API", v.ipfs.api_address},
      {"Addresses.Gateway", v.ipfs.gateway_address},
      {"Discovery.MDNS.Enabled", false},
      {"Swarm.DisableNatPortMap", true},
      {"Routing.Type", v.ipfs.routing},
      {"Swarm.Transports.Network.QUIC", false},
      {"Swarm.Transports.Network.WebTransport", false},
      {"Swarm.Transports.Network.WebRTCDirect", false},
  };
  std::string out;
  for (const auto& [key, value] : settings) out += "ipfs config --json " + key + " " + shell_quote(value.dump()) + "\n";
  return out;
}

// Step 3 of the init script: the key into the repository (secret mode), or where it comes from.
std::string key_step(const BundleValues& v) {
  if (agent_delivery(v)) {
    return "# 3. The swarm key: the next init container (keyd agent --once) fetches it from Vault into\n"
           "#    $IPFS_PATH/swarm.key (atomic, mode 0600) on every start. No Secret holds it.\n";
  }
  return "# 3. The swarm key, from the Secret keyd keeps current (mounted without subPath, so a rotated\n"
         "#    key is visible here), into the repository with mode 0600 on every start: Kubo reads\n"
         "#    $IPFS_PATH/swarm.key only when it starts. Written to a temporary file and renamed, so the\n"
         "#    daemon never sees a half-written key.\n"
         "install -m 0600 " +
         std::string(k_key_dir) + "/" + v.key_delivery.key +
         " \"$IPFS_PATH/swarm.key.tmp\"\n"
         "mv -f \"$IPFS_PATH/swarm.key.tmp\" \"$IPFS_PATH/swarm.key\"\n";
}

std::string init_script(const BundleValues& v) {
  return "#!/bin/sh\n"
         "# Runs in the init container before every start of every IPFS pod.\n"
         "set -eu\n"
         "\n"
         "# 1. Initialise the repository only when it has no config. (The original init-node.sh tested\n"
         "#    for the mounted directory, which always exists, so `ipfs init` never ran.)\n"
         "if [ ! -f \"$IPFS_PATH/config\" ]; then\n"
         "  ipfs init\n"
         "fi\n"
         "\n"
         "# 2. The overlay's settings, on every start, so a changed values.yaml takes effect: only the\n"
         "#    private peers as bootstrap, no MDNS, no NAT port mapping, the routing type, TCP listeners\n"
         "#    (a private network refuses QUIC, WebTransport and WebRTC), API and gateway addresses.\n" +
         settings_lines(v) + "\n" + key_step(v);
}

// No privilege; the root filesystem stays writable because `ipfs daemon --migrate` unpacks
// repository migrations into a temporary directory.
Json kubo_security() {
  return Json{{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", Json::array({"ALL"})}}}};
}

Json resources(const config::BundleResources& r) {
  Json out = Json::object();
  for (const auto& [name, q] : {std::pair{"requests", &r.requests}, std::pair{"limits", &r.limits}}) {
    Json part = Json::object();
    if (!q->cpu.empty()) part["cpu"] = q->cpu;
    if (!q->memory.empty()) part["memory"] = q->memory;
    if (!part.empty()) out[name] = part;
  }
  return out;
}

Json exec_probe(const std::vector<std::string>& command, int period, int timeout, int failures) {
  return Json{{"exec", {{"command", command}}},
              {"periodSeconds", period},
              {"timeoutSeconds", timeout},
              {"failureThreshold", failures}};
}

std::string volumes_comment(const BundleValues& v) {
  return std::string("One volume per mount path (the original mounted two on /data/ipfs). ") +
         (agent_delivery(v) ? "No Secret holds the key:\nthe swarm-key init container writes it into the data volume."
                            : "The key Secret is its\nown volume at its own path, without subPath, so a key keyd "
                              "rotates reaches the next start.");
}

Json ipfs_env() {
  return Json::array({Json{{"name", "IPFS_PATH"}, {"value", std::string(k_ipfs_path)}},
                      // A node without a swarm key refuses to start instead of joining the public network.
                      Json{{"name", "LIBP2P_FORCE_PNET"}, {"value", "1"}}});
}

}  // namespace

BundleFile namespace_file(const BundleValues& v) {
  Json ns{{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata", {{"name", v.namespace_name}, {"labels", {{"app.kubernetes.io/part-of", "ipfs-overlay"}}}}}};
  return {"namespace.yaml", yaml_file("", {ns})};
}

BundleFile ipfs_config_file(const BundleValues& v) {
  Json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", metadata(ipfs_config_map(v), v.namespace_name, ipfs_labels(v))},
          {"data", {{"configure.sh", init_script(v)}}}};
  return {
      "ipfs-config.yaml",
      yaml_file("Kubo's settings for the private overlay, applied by the init container of the StatefulSet.", {cm})};
}

BundleFile statefulset_file(const BundleValues& v) {
  Json init{
      {"name", "init-repo"},
      {"image", v.ipfs.image},
      {"command", Json::array({"sh", std::string(k_settings_dir) + "/configure.sh"})},
      {"env", ipfs_env()},
      {"securityContext", kubo_security()},
      {"volumeMounts",
       Json::array({Json{{"name", "data"}, {"mountPath", std::string(k_ipfs_path)}},
                    Json{{"name", "settings"}, {"mountPath", std::string(k_settings_dir)}, {"readOnly", true}}})}};
  Json volumes = Json::array({Json{{"name", "settings"}, {"configMap", {{"name", ipfs_config_map(v)}}}}});
  if (agent_delivery(v)) {
    for (auto& volume : agent_volumes(v)) volumes.push_back(std::move(volume));
  } else {
    init["volumeMounts"].push_back(
        Json{{"name", "swarm-key"}, {"mountPath", std::string(k_key_dir)}, {"readOnly", true}});
    volumes.push_back(
        Json{{"name", "swarm-key"},
             {"secret", {{"secretName", v.key_delivery.secret}, {"defaultMode", 0440}, {"optional", false}}}});
  }
  Json ports = Json::array();
  for (const auto& [name, port] : swarm_ports(v)) {
    ports.push_back(Json{{"name", name}, {"containerPort", port}, {"protocol", "TCP"}});
  }
  ports.push_back(Json{{"name", "api"}, {"containerPort", api_port(v)}, {"protocol", "TCP"}});
  ports.push_back(Json{{"name", "gateway"}, {"containerPort", gateway_port(v)}, {"protocol", "TCP"}});
  Json daemon{{"name", "ipfs"},
              {"image", v.ipfs.image},
              {"env", ipfs_env()},
              {"ports", ports},
              {"resources", resources(v.ipfs.resources)},
              {comment("probes"),
               "Kubo's RPC API answers POST only, so the original's HTTP GET probes on it always failed.\n"
               "These run the ipfs CLI in the container, which POSTs to the API the daemon announces in\n"
               "$IPFS_PATH/api, wherever it is bound: `ipfs id` proves the daemon answers;\n"
               "`ipfs dag stat` of the empty directory (Kubo's own image HEALTHCHECK) needs no network."},
              {"startupProbe", exec_probe({"ipfs", "id"}, 5, 10, 60)},
              {"livenessProbe", exec_probe({"ipfs", "id"}, 30, 10, 3)},
              {"readinessProbe",
               exec_probe({"ipfs", "dag", "stat", "/ipfs/QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"}, 10, 10, 3)},
              {"securityContext", kubo_security()},
              {"volumeMounts", Json::array({Json{{"name", "data"}, {"mountPath", std::string(k_ipfs_path)}}})}};
  Json pod_spec{
      {comment("volumes"), volumes_comment(v)},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", k_kubo_uid},
        {"runAsGroup", k_kubo_gid},
        {"fsGroup", k_kubo_gid},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"initContainers", agent_delivery(v) ? Json::array({init, agent_init_container(v)}) : Json::array({init})},
      {"containers", Json::array({daemon})},
      {"volumes", volumes}};
  if (agent_delivery(v)) {  // the pods' own identity, first
    Json with_account{{"serviceAccountName", node_service_account(v)}};
    for (const auto& [key, value] : pod_spec.items()) with_account[key] = value;
    pod_spec = std::move(with_account);
  }
  if (v.zerotier.host_network) {
    pod_spec["hostNetwork"] = true;
    pod_spec["dnsPolicy"] = "ClusterFirstWithHostNet";
  }
  if (!v.zerotier.node_selector.empty()) pod_spec["nodeSelector"] = v.zerotier.node_selector;
  Json claim_spec{{"accessModes", Json::array({"ReadWriteOnce"})},
                  {"resources", {{"requests", {{"storage", v.ipfs.storage_size}}}}}};
  if (!v.ipfs.storage_class.empty()) claim_spec["storageClassName"] = v.ipfs.storage_class;
  Json sts{
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", metadata(v.name, v.namespace_name, ipfs_labels(v))},
      {"spec",
       {{"serviceName", peers_service(v)},
        {"replicas", v.ipfs.replicas},
        {"selector", {{"matchLabels", ipfs_selector(v)}}},
        {"updateStrategy", {{"type", "RollingUpdate"}}},
        {"template", {{"metadata", {{"labels", ipfs_labels(v)}}}, {"spec", pod_spec}}},
        {"volumeClaimTemplates",
         Json::array({Json{{"metadata", {{"name", "data"}, {"labels", ipfs_claim_labels(v)}}}, {"spec", claim_spec}}})}}}};
  std::vector<Json> documents{sts};
  if (v.ipfs.replicas > 1) {
    // A node drain or an eviction takes one IPFS node at a time, as keyd's rolling restart does:
    // the overlay keeps its other peers while a node is away.
    documents.push_back(Json{{"apiVersion", "policy/v1"},
                             {"kind", "PodDisruptionBudget"},
                             {"metadata", metadata(v.name, v.namespace_name, ipfs_labels(v))},
                             {"spec", {{"maxUnavailable", 1}, {"selector", {{"matchLabels", ipfs_selector(v)}}}}}});
  }
  return {"ipfs-statefulset.yaml",
          yaml_file("The IPFS (Kubo) nodes. keyd restarts them once per new key (pod template annotation\n"
                    "keyd.io/swarm-key-fingerprint); the key itself is never in this file. With more than\n"
                    "one replica, a PodDisruptionBudget lets evictions take one node at a time.",
                    documents)};
}

BundleFile service_file(const BundleValues& v) {
  Json swarm = Json::array();
  for (const auto& [name, port] : swarm_ports(v))
    swarm.push_back(Json{{"name", name}, {"port", port}, {"targetPort", name}});
  Json ports = swarm;
  if (!config::multiaddr_is_loopback(v.ipfs.api_address)) {
    ports.push_back(Json{{"name", "api"}, {"port", api_port(v)}, {"targetPort", "api"}});
  }
  if (!config::multiaddr_is_loopback(v.ipfs.gateway_address)) {
    ports.push_back(Json{{"name", "gateway"}, {"port", gateway_port(v)}, {"targetPort", "gateway"}});
  }
  Json service{{"apiVersion", "v1"},
               {"kind", "Service"},
               {"metadata", metadata(v.name, v.namespace_name, ipfs_labels(v))},
               {"spec", {{"type", "ClusterIP"}, {"selector", ipfs_selector(v)}, {"ports", ports}}}};
  Json peers{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", metadata(peers_service(v), v.namespace_name, ipfs_labels(v))},
      {"spec",
       {{"clusterIP", "None"}, {"publishNotReadyAddresses", true}, {"selector", ipfs_selector(v)}, {"ports", swarm}}}};
  return {"ipfs-service.yaml",
          yaml_file("The API and gateway inside the cluster (a loopback-bound listener is left out), and the\n"
                    "headless Service that gives each node a stable DNS name (<pod>." +
                        peers_service(v) + ").",
                    {service, peers})};
}

BundleFile network_policy_file(const BundleValues& v) {
  Json swarm_ports_json = Json::array();
  for (const auto& entry : swarm_ports(v))
    swarm_ports_json.push_back(Json{{"protocol", "TCP"}, {"port", entry.second}});
  Json swarm_rule{{"ports", swarm_ports_json}};
  if (!v.network_policy.swarm_cidrs.empty()) {
    Json from = Json::array();
    for (const auto& cidr : v.network_policy.swarm_cidrs) from.push_back(Json{{"ipBlock", {{"cidr", cidr}}}});
    swarm_rule["from"] = from;
  }
  Json api_from = Json::array({Json{{"podSelector", {{"matchLabels", ipfs_selector(v)}}}}});
  if (!v.network_policy.api_clients.empty()) {
    api_from.push_back(Json{{"podSelector", {{"matchLabels", v.network_policy.api_clients}}}});
  }
  Json api_rule{{"ports", Json::array({Json{{"protocol", "TCP"}, {"port", api_port(v)}},
                                       Json{{"protocol", "TCP"}, {"port", gateway_port(v)}}})},
                {"from", api_from}};
  Json policy{{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "NetworkPolicy"},
              {"metadata", metadata(v.name, v.namespace_name, ipfs_labels(v))},
              {"spec",
               {{"podSelector", {{"matchLabels", ipfs_selector(v)}}},
                {"policyTypes", Json::array({"Ingress"})},
                {"ingress", Json::array({swarm_rule, api_rule})}}}};
  return {"ipfs-networkpolicy.yaml",
          yaml_file("Who may reach the nodes: the swarm port from the listed networks (anyone when none are\n"
                    "listed), the RPC API and gateway only from the nodes themselves and the listed client\n"
                    "pods. The RPC API is an admin interface. Pods on the host network (zerotier.host_network)\n"
                    "are not covered by NetworkPolicies; kubectl port-forward is not either.",
                    {policy})};
}

}  // namespace keyd::app::bundle
