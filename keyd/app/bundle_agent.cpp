// keyd bundle, key_delivery.mode agent: no Secret holds the swarm key (so it never lands in etcd).
// Each IPFS pod's init container `keyd agent --once` logs in to Vault with a projected token of the
// pods' own service account (Kubernetes auth) and writes the current key into the pod's
// repository volume as $IPFS_PATH/swarm.key, on every start. manifests/ipfs-overlay-agent.yaml is
// the hand-written form of the same thing.
#include "bundle_parts.hpp"

namespace keyd::app::bundle {

using config::BundleValues;

namespace {

constexpr std::string_view k_agent_config_dir = "/etc/keyd";
constexpr std::string_view k_token_dir = "/var/run/secrets/vault";
// Short-lived: the agent logs in once per pod start; the kubelet renews the file anyway.
constexpr int k_token_seconds = 600;

std::string agent_config_map(const BundleValues& v) { return v.name + "-keyd-agent"; }

const std::string& agent_vault_address(const BundleValues& v) {
  return v.key_delivery.agent.vault_address.empty() ? v.keyd.vault.address : v.key_delivery.agent.vault_address;
}

}  // namespace

std::string node_service_account(const BundleValues& v) { return v.name + "-node"; }

std::string render_agent_config_text(const BundleValues& v) {
  const config::BundleAgent& agent = v.key_delivery.agent;
  Json vault{{"address", agent_vault_address(v)},
             {"mount", v.keyd.vault.mount},
             {"timeout", "10s"},
             {"connect_timeout", "3s"},
             {comment("attempts"), "Per request; the agent's --retries wraps whole attempts."},
             {"max_attempts", 2},
             {"auth",
              {{"method", "kubernetes"},
               {"role", agent.role},
               {"mount", agent.auth_mount},
               {"jwt_file", std::string(k_token_dir) + "/token"}}}};
  if (!v.keyd.vault.ca_secret.empty()) vault["tls"] = Json{{"ca_file", std::string(k_vault_ca_dir) + "/ca.crt"}};
  Json config{{"store", {{"backend", "vault"}, {"vault", vault}}},
              {comment("audit"), "The pod's own trail, next to the key it fetched."},
              {"audit", {{"file", std::string(k_ipfs_path) + "/keyd-audit.jsonl"}}},
              {"swarms", Json::array({Json{{"name", v.keyd.swarm}, {"path", v.keyd.path}}})}};
  return to_yaml(config);
}

BundleFile agent_file(const BundleValues& v) {
  Json account{{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", metadata(node_service_account(v), v.namespace_name, ipfs_labels(v))},
               {comment("token"), "No API token in the pods: the agent gets a short-lived, Vault-only one."},
               {"automountServiceAccountToken", false}};
  Json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", metadata(agent_config_map(v), v.namespace_name, ipfs_labels(v))},
          {"data", {{"keyd.yaml", render_agent_config_text(v)}}}};
  const config::BundleAgent& agent = v.key_delivery.agent;
  return {"ipfs-agent.yaml",
          yaml_file("The IPFS pods' identity and their keyd agent's configuration: where the key is, never the\n"
                    "key. Vault side, once (policies/keyd-reader.hcl, see policies/README.md):\n"
                    "  vault write auth/" +
                        agent.auth_mount + "/role/" + agent.role + " \\\n" + "      bound_service_account_names=" +
                        node_service_account(v) + " bound_service_account_namespaces=" + v.namespace_name + " \\\n" +
                        "      token_policies=keyd-reader token_ttl=5m audience=" + agent.audience,
                    {account, cm})};
}

Json agent_init_container(const BundleValues& v) {
  Json mounts =
      Json::array({Json{{"name", "data"}, {"mountPath", std::string(k_ipfs_path)}},
                   Json{{"name", "keyd-agent"}, {"mountPath", std::string(k_agent_config_dir)}, {"readOnly", true}},
                   Json{{"name", "vault-token"}, {"mountPath", std::string(k_token_dir)}, {"readOnly", true}}});
  if (!v.keyd.vault.ca_secret.empty()) {
    mounts.push_back(Json{{"name", "vault-ca"}, {"mountPath", std::string(k_vault_ca_dir)}, {"readOnly", true}});
  }
  return Json{{"name", "swarm-key"},
              {"image", v.keyd.image},
              {comment("args"),
               "On every start: the current key into the repository volume, 0600, owned by Kubo's user.\n"
               "About a minute of retries while Vault is unavailable or has no key yet, then the pod fails."},
              {"args", Json::array({"agent", "--once", "--config", std::string(k_agent_config_dir) + "/keyd.yaml",
                                    "--swarm", v.keyd.swarm, "--sink", std::string(k_ipfs_path) + "/swarm.key", "--uid",
                                    std::to_string(k_kubo_uid), "--gid", std::to_string(k_kubo_gid), "--retries", "6",
                                    "--retry-max-wait", "15s"})},
              {"env", Json::array({Json{{"name", "KEYD_LOG_LEVEL"}, {"value", "info"}}})},
              {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}, {"limits", {{"memory", "32Mi"}}}}},
              {comment("security"),
               "As Kubo's user (the pod's securityContext): the file is Kubo's without root or CAP_CHOWN."},
              {"securityContext",
               {{"allowPrivilegeEscalation", false},
                {"capabilities", {{"drop", Json::array({"ALL"})}}},
                {"readOnlyRootFilesystem", true}}},
              {"volumeMounts", mounts}};
}

std::vector<Json> agent_volumes(const BundleValues& v) {
  std::vector<Json> volumes{Json{{"name", "keyd-agent"}, {"configMap", {{"name", agent_config_map(v)}}}},
                            Json{{comment("token"), "A token for Vault only (its audience), rotated by the kubelet."},
                                 {"name", "vault-token"},
                                 {"projected",
                                  {{"sources", Json::array({Json{{"serviceAccountToken",
                                                                  {{"path", "token"},
                                                                   {"audience", v.key_delivery.agent.audience},
                                                                   {"expirationSeconds", k_token_seconds}}}}})}}}}};
  if (!v.keyd.vault.ca_secret.empty()) {
    volumes.push_back(
        Json{{"name", "vault-ca"}, {"secret", {{"secretName", v.keyd.vault.ca_secret}, {"defaultMode", 0444}}}});
  }
  return volumes;
}

}  // namespace keyd::app::bundle
