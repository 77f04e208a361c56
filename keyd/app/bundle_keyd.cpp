// keyd bundle, keyd's side: its identity and permissions, its configuration (a Vault store and a
// kubernetes target on the key Secret and the StatefulSet), its audit volume, and the CronJob that
// runs `keyd rotate` or the Deployment that runs `keyd daemon`.
#include "bundle_parts.hpp"

namespace keyd::app::bundle {

using config::BundleValues;

namespace {

constexpr std::string_view k_config_dir = "/etc/keyd";
constexpr std::string_view k_audit_dir = "/var/lib/keyd";
constexpr std::string_view k_credentials_dir = "/var/run/secrets/keyd-vault";
constexpr std::string_view k_ca_dir = "/var/run/secrets/keyd-vault-ca";
constexpr std::string_view k_audit_claim = "keyd-audit";
constexpr std::string_view k_config_map = "keyd-config";
// The distroless "nonroot" user keyd's image runs as.
constexpr int k_keyd_uid = 65532;

Json rule(std::string_view group, std::string_view resource, const std::vector<std::string>& names,
          const std::vector<std::string>& verbs, std::string_view why) {
  Json r{{comment(why), std::string(why)}, {"apiGroups", Json::array({group})}, {"resources", Json::array({resource})}};
  if (!names.empty()) r["resourceNames"] = names;
  r["verbs"] = verbs;
  return r;
}

Json keyd_pod_spec(const BundleValues& v, std::string_view restart_policy, const std::vector<std::string>& args) {
  Json mounts = Json::array({Json{{"name", "config"}, {"mountPath", std::string(k_config_dir)}, {"readOnly", true}},
                             Json{{"name", "audit"}, {"mountPath", std::string(k_audit_dir)}}});
  Json volumes =
      Json::array({Json{{"name", "config"}, {"configMap", {{"name", std::string(k_config_map)}}}},
                   Json{{"name", "audit"}, {"persistentVolumeClaim", {{"claimName", std::string(k_audit_claim)}}}}});
  if (!v.keyd.vault.credentials_secret.empty()) {
    mounts.push_back(
        Json{{"name", "vault-credentials"}, {"mountPath", std::string(k_credentials_dir)}, {"readOnly", true}});
    volumes.push_back(Json{{"name", "vault-credentials"},
                           {"secret", {{"secretName", v.keyd.vault.credentials_secret}, {"defaultMode", 0440}}}});
  }
  if (!v.keyd.vault.ca_secret.empty()) {
    mounts.push_back(Json{{"name", "vault-ca"}, {"mountPath", std::string(k_ca_dir)}, {"readOnly", true}});
    volumes.push_back(
        Json{{"name", "vault-ca"}, {"secret", {{"secretName", v.keyd.vault.ca_secret}, {"defaultMode", 0444}}}});
  }
  Json container{{"name", "keyd"},
                 {"image", v.keyd.image},
                 {"args", args},
                 {"env", Json::array({Json{{"name", "KEYD_LOG_LEVEL"}, {"value", "info"}}})},
                 {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "32Mi"}}}, {"limits", {{"memory", "128Mi"}}}}},
                 {"securityContext",
                  {{"allowPrivilegeEscalation", false},
                   {"capabilities", {{"drop", Json::array({"ALL"})}}},
                   {"readOnlyRootFilesystem", true}}},
                 {"volumeMounts", mounts}};
  return Json{{"serviceAccountName", std::string(k_keyd)},
              {"restartPolicy", std::string(restart_policy)},
              {"securityContext",
               {{"runAsNonRoot", true},
                {"runAsUser", k_keyd_uid},
                {"runAsGroup", k_keyd_uid},
                {"fsGroup", k_keyd_uid},
                {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
              {"containers", Json::array({container})},
              {"volumes", volumes}};
}

}  // namespace

std::string render_keyd_config_text(const BundleValues& v);

BundleFile keyd_rbac_file(const BundleValues& v) {
  Json account{{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels())}};
  Json rules = Json::array(
      {rule("", "secrets", {v.key_delivery.secret}, {"get", "update"},
            "The swarm key Secret and no other: read it and replace it with the resourceVersion read."),
       rule("", "secrets", {}, {"create"},
            "Creating it on the first rotation (RBAC cannot limit create by name). Optional once it exists."),
       rule("apps", "statefulsets", {v.name}, {"get", "patch"},
            "The StatefulSet it feeds: read its status, patch the pod template's key fingerprint annotation.")});
  if (v.keyd.strategy == "recreate") {
    rules.push_back(
        rule("", "pods", {}, {"list", "delete"}, "strategy recreate: delete the pods still on the old key."));
  }
  rules.push_back(rule("", "events", {}, {"create"}, "A SwarmKeyRotated Event on the StatefulSet (best effort)."));
  Json role{{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "Role"},
            {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels())},
            {"rules", rules}};
  Json binding{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels())},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", std::string(k_keyd)}}},
      {"subjects", Json::array({Json{
                       {"kind", "ServiceAccount"}, {"name", std::string(k_keyd)}, {"namespace", v.namespace_name}}})}};
  return {"keyd-rbac.yaml",
          yaml_file("keyd's identity in the cluster and the least it may do (see manifests/keyd-rbac.yaml).\n"
                    "keyd checks these permissions itself before it touches anything.",
                    {account, role, binding})};
}

BundleFile keyd_config_file(const BundleValues& v) {
  Json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", metadata(k_config_map, v.namespace_name, keyd_labels())},
          {"data", {{"keyd.yaml", render_keyd_config_text(v)}}}};
  return {"keyd-config.yaml", yaml_file("keyd's configuration: no key and no credential, only where they are.", {cm})};
}

BundleFile keyd_storage_file(const BundleValues& v) {
  Json claim{{"apiVersion", "v1"},
             {"kind", "PersistentVolumeClaim"},
             {"metadata", metadata(k_audit_claim, v.namespace_name, keyd_labels())},
             {"spec",
              {{"accessModes", Json::array({"ReadWriteOnce"})},
               {"resources", {{"requests", {{"storage", v.keyd.audit_storage}}}}}}}};
  return {"keyd-audit-pvc.yaml",
          yaml_file("keyd's hash-chained audit trail outlives its pods (check it: keyd audit verify).", {claim})};
}

BundleFile keyd_workload_file(const BundleValues& v) {
  const std::string config_path = std::string(k_config_dir) + "/keyd.yaml";
  if (v.keyd.mode == "daemon") {
    Json deployment{
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels())},
        {"spec",
         {{"replicas", 1},
          {comment("strategy"), "Recreate: the audit volume is ReadWriteOnce, and one keyd at a time rotates."},
          {"strategy", {{"type", "Recreate"}}},
          {"selector", {{"matchLabels", {{"app.kubernetes.io/name", std::string(k_keyd)}}}}},
          {"template",
           {{"metadata", {{"labels", keyd_labels()}}},
            {"spec", keyd_pod_spec(v, "Always", {"daemon", "--config", config_path})}}}}}};
    return {"keyd-deployment.yaml", yaml_file("keyd as a daemon: scheduled rotation and its HTTP API.", {deployment})};
  }
  Json job_spec{{"backoffLimit", 2},
                {"template",
                 {{"metadata", {{"labels", keyd_labels()}}},
                  {"spec", keyd_pod_spec(v, "Never", {"rotate", "--config", config_path})}}}};
  Json cronjob{{"apiVersion", "batch/v1"},
               {"kind", "CronJob"},
               {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels())},
               {"spec",
                {{"schedule", v.keyd.schedule},
                 {comment("concurrency"),
                  "Forbid: two rotations never overlap (keyd's store check-and-set refuses the loser anyway)."},
                 {"concurrencyPolicy", "Forbid"},
                 {"successfulJobsHistoryLimit", 3},
                 {"failedJobsHistoryLimit", 3},
                 {"jobTemplate", {{"spec", job_spec}}}}}};
  return {
      "keyd-cronjob.yaml",
      yaml_file("keyd rotate on a schedule: a new key into Vault, the Secret, then one rolling restart.", {cronjob})};
}

std::string render_keyd_config_text(const BundleValues& v) {
  const config::BundleVault& vault = v.keyd.vault;
  Json auth{{"method", vault.auth_method}};
  if (vault.auth_method == "kubernetes") {
    auth["role"] = vault.role;
  } else if (vault.auth_method == "approle") {
    auth["role_id_file"] = std::string(k_credentials_dir) + "/role-id";
    auth["secret_id_file"] = std::string(k_credentials_dir) + "/secret-id";
  } else {
    auth["token_file"] = std::string(k_credentials_dir) + "/token";
  }
  Json store_vault{{"address", vault.address}, {"mount", vault.mount}, {"auth", auth}};
  if (!vault.ca_secret.empty()) store_vault["tls"] = Json{{"ca_file", std::string(k_ca_dir) + "/ca.crt"}};
  Json target{{"type", "kubernetes"},
              {"namespace", v.namespace_name},
              {"secret", v.key_delivery.secret},
              {"key", v.key_delivery.key},
              {"restart", Json::array({Json{{"kind", "StatefulSet"}, {"name", v.name}}})},
              {"strategy", v.keyd.strategy},
              {"wait", true},
              {"timeout", v.keyd.rollout_timeout}};
  Json config{{"store", {{"backend", "vault"}, {"vault", store_vault}}},
              {"audit", {{"file", std::string(k_audit_dir) + "/audit.jsonl"}}},
              {"swarms",
               Json::array({Json{{"name", v.keyd.swarm}, {"path", v.keyd.path}, {"targets", Json::array({target})}}})}};
  return to_yaml(config);
}

}  // namespace keyd::app::bundle
