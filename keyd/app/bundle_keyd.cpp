// keyd bundle, keyd's side: its identity and permissions, its configuration (a Vault store and a
// kubernetes target on the key Secret — none with agent delivery — and the StatefulSet), its audit
// volume, and the CronJob that runs `keyd rotate` or the Deployment (and Service) that runs
// `keyd daemon`.
#include "bundle_parts.hpp"

namespace keyd::app::bundle {

using config::BundleValues;

namespace {

constexpr std::string_view k_config_dir = "/etc/keyd";
constexpr std::string_view k_audit_dir = "/var/lib/keyd";
constexpr std::string_view k_credentials_dir = "/var/run/secrets/keyd-vault";
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

// `extra`: keys added to the container after its env (the daemon's ports and probes).
Json keyd_pod_spec(const BundleValues& v, std::string_view restart_policy, const std::vector<std::string>& args,
                   const Json& extra = Json::object()) {
  Json mounts = Json::array({Json{{"name", "config"}, {"mountPath", std::string(k_config_dir)}, {"readOnly", true}}});
  Json volumes = Json::array({Json{{"name", "config"}, {"configMap", {{"name", std::string(k_config_map)}}}}});
  if (!daemon_mode(v)) {  // the daemon's audit goes to stdout, its chain's head to Vault
    mounts.push_back(Json{{"name", "audit"}, {"mountPath", std::string(k_audit_dir)}});
    volumes.push_back(
        Json{{"name", "audit"}, {"persistentVolumeClaim", {{"claimName", std::string(k_audit_claim)}}}});
  }
  if (!v.keyd.vault.credentials_secret.empty()) {
    mounts.push_back(
        Json{{"name", "vault-credentials"}, {"mountPath", std::string(k_credentials_dir)}, {"readOnly", true}});
    volumes.push_back(Json{{"name", "vault-credentials"},
                           {"secret", {{"secretName", v.keyd.vault.credentials_secret}, {"defaultMode", 0440}}}});
  }
  if (!v.keyd.vault.ca_secret.empty()) {
    mounts.push_back(Json{{"name", "vault-ca"}, {"mountPath", std::string(k_vault_ca_dir)}, {"readOnly", true}});
    volumes.push_back(
        Json{{"name", "vault-ca"}, {"secret", {{"secretName", v.keyd.vault.ca_secret}, {"defaultMode", 0444}}}});
  }
  Json container{{"name", "keyd"},
                 {"image", v.keyd.image},
                 {"args", args},
                 {"env", Json::array({Json{{"name", "KEYD_LOG_LEVEL"}, {"value", "info"}}})}};
  for (const auto& [key, value] : extra.items()) container[key] = value;
  container.update(
      Json{{"resources", {{"requests", {{"cpu", "10m"}, {"memory", "32Mi"}}}, {"limits", {{"memory", "128Mi"}}}}},
           {"securityContext",
            {{"allowPrivilegeEscalation", false},
             {"capabilities", {{"drop", Json::array({"ALL"})}}},
             {"readOnlyRootFilesystem", true}}},
           {"volumeMounts", mounts}});
  Json spec{{"serviceAccountName", std::string(k_keyd)},
              {"restartPolicy", std::string(restart_policy)},
              {"securityContext",
               {{"runAsNonRoot", true},
                {"runAsUser", k_keyd_uid},
                {"runAsGroup", k_keyd_uid},
                {"fsGroup", k_keyd_uid},
                {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
              {"containers", Json::array({container})},
              {"volumes", volumes}};
  if (daemon_mode(v) && v.keyd.daemon.replicas > 1) {  // one node's loss takes one replica
    spec["affinity"] = Json{
        {"podAntiAffinity",
         {{"preferredDuringSchedulingIgnoredDuringExecution",
           Json::array({Json{{"weight", 100},
                             {"podAffinityTerm",
                              {{"topologyKey", "kubernetes.io/hostname"},
                               {"labelSelector",
                                {{"matchLabels", {{"app.kubernetes.io/name", std::string(k_keyd)}}}}}}}}})}}}};
  }
  return spec;
}

}  // namespace

std::string render_keyd_config_text(const BundleValues& v);

BundleFile keyd_rbac_file(const BundleValues& v) {
  Json account{{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))}};
  Json rules = Json::array();
  if (!agent_delivery(v)) {  // with the agent keyd never touches a Secret
    rules.push_back(rule("", "secrets", {v.key_delivery.secret}, {"get", "update", "patch"},
                         "The swarm key Secret and no other: read it and replace it with the resourceVersion read; "
                         "patch writes a new key in one request (optional)."));
    rules.push_back(
        rule("", "secrets", {}, {"create"},
             "Creating it on the first rotation (RBAC cannot limit create by name). Optional once it exists."));
  }
  rules.push_back(
      rule("apps", "statefulsets", {v.name}, {"get", "patch"},
           "The StatefulSet it feeds: read its status, patch the pod template's key fingerprint annotation."));
  if (v.keyd.strategy == "recreate") {
    rules.push_back(
        rule("", "pods", {}, {"list", "delete"}, "strategy recreate: delete the pods still on the old key."));
  }
  rules.push_back(rule("", "events", {}, {"create"}, "A SwarmKeyRotated Event on the StatefulSet (best effort)."));
  if (daemon_mode(v)) {
    rules.push_back(rule("coordination.k8s.io", "leases", {}, {"create"},
                         "keyd daemon: create its leader-election Lease (RBAC cannot limit create by name)."));
    rules.push_back(rule("coordination.k8s.io", "leases", {std::string(k_keyd)}, {"get", "update"},
                         "Its Lease only: read it, renew it, take it over, release it."));
  }
  Json role{{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "Role"},
            {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
            {"rules", rules}};
  Json binding{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", std::string(k_keyd)}}},
      {"subjects", Json::array({Json{
                       {"kind", "ServiceAccount"}, {"name", std::string(k_keyd)}, {"namespace", v.namespace_name}}})}};
  std::vector<Json> documents{account, role, binding};
  if (daemon_mode(v)) {
    documents.push_back(Json{
        {"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "ClusterRoleBinding"},
        {"metadata", {{"name", "keyd-tokenreview-" + v.namespace_name}, {"labels", keyd_labels(v)}}},
        {comment("why"), "keyd daemon checks its API callers' service-account tokens with TokenReviews."},
        {"roleRef",
         {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "system:auth-delegator"}}},
        {"subjects",
         Json::array(
             {Json{{"kind", "ServiceAccount"}, {"name", std::string(k_keyd)}, {"namespace", v.namespace_name}}})}});
  }
  return {"keyd-rbac.yaml",
          yaml_file("keyd's identity in the cluster and the least it may do (see manifests/keyd-rbac.yaml).\n"
                    "keyd checks these permissions itself before it touches anything.",
                    documents)};
}

BundleFile keyd_config_file(const BundleValues& v) {
  Json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", metadata(k_config_map, v.namespace_name, keyd_labels(v))},
          {"data", {{"keyd.yaml", render_keyd_config_text(v)}}}};
  return {"keyd-config.yaml", yaml_file("keyd's configuration: no key and no credential, only where they are.", {cm})};
}

BundleFile keyd_storage_file(const BundleValues& v) {
  Json claim{{"apiVersion", "v1"},
             {"kind", "PersistentVolumeClaim"},
             {"metadata", metadata(k_audit_claim, v.namespace_name, keyd_labels(v))},
             {"spec",
              {{"accessModes", Json::array({"ReadWriteOnce"})},
               {"resources", {{"requests", {{"storage", v.keyd.audit_storage}}}}}}}};
  return {"keyd-audit-pvc.yaml",
          yaml_file("keyd's hash-chained audit trail outlives its pods (check it: keyd audit verify).", {claim})};
}

BundleFile keyd_workload_file(const BundleValues& v) {
  const std::string config_path = std::string(k_config_dir) + "/keyd.yaml";
  if (daemon_mode(v)) {
    const auto probe = [](std::string_view path, int period, int failures) {
      return Json{{"httpGet", {{"path", std::string(path)}, {"port", "http"}}},
                  {"periodSeconds", period},
                  {"failureThreshold", failures}};
    };
    Json api{
        {"ports", Json::array({Json{{"name", "http"}, {"containerPort", k_daemon_port}, {"protocol", "TCP"}}})},
        {comment("probes"), "/healthz: the process runs; /readyz: config loaded, store reachable, leadership known."},
        {"livenessProbe", probe("/healthz", 10, 3)},
        {"readinessProbe", probe("/readyz", 5, 2)}};
    Json deployment{
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
        {"spec",
         {{"replicas", v.keyd.daemon.replicas},
          {comment("strategy"),
           "Replicas share no volume: the audit lines go to stdout (collect them: keyd audit verify) and their "
           "chain's head to Vault. The Lease picks the one that rotates; every replica serves key reads."},
          {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
          {"selector", {{"matchLabels", {{"app.kubernetes.io/name", std::string(k_keyd)}}}}},
          {"template",
           {{"metadata", {{"labels", keyd_labels(v)}}},
            {"spec", keyd_pod_spec(v, "Always", {"daemon", "--config", config_path}, api)}}}}}};
    Json service{{"apiVersion", "v1"},
                 {"kind", "Service"},
                 {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
                 {"spec",
                  {{"type", "ClusterIP"},
                   {"selector", {{"app.kubernetes.io/name", std::string(k_keyd)}}},
                   {"ports", Json::array({Json{{"name", "http"}, {"port", k_daemon_port}, {"targetPort", "http"}}})}}}};
    std::vector<Json> objects{deployment, service};
    if (v.keyd.daemon.replicas > 1) {
      objects.push_back(Json{{"apiVersion", "policy/v1"},
                             {"kind", "PodDisruptionBudget"},
                             {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
                             {comment("why"), "A node drain evicts one keyd at a time: the other keeps serving and "
                                              "takes the Lease."},
                             {"spec",
                              {{"minAvailable", 1},
                               {"selector", {{"matchLabels", {{"app.kubernetes.io/name", std::string(k_keyd)}}}}}}}});
    }
    if (v.keyd.daemon.service_monitor) {
      // /metrics needs no token (it carries no key), so the scrape needs no credentials.
      objects.push_back(Json{{"apiVersion", "monitoring.coreos.com/v1"},
                             {"kind", "ServiceMonitor"},
                             {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
                             {"spec",
                              {{"selector", {{"matchLabels", {{"app.kubernetes.io/name", std::string(k_keyd)}}}}},
                               {"endpoints", Json::array({Json{{"port", "http"}, {"path", "/metrics"}}})}}}});
    }
    return {"keyd-deployment.yaml",
            yaml_file("keyd as a daemon: keeps the nodes on the stored key, rotates on max_age inside the window,\n"
                      "and serves its HTTP API (bearer: a service-account token for audience keyd, checked with a\n"
                      "TokenReview) on Service keyd:" +
                          std::to_string(k_daemon_port) + ".",
                      objects)};
  }
  Json job_spec{{"backoffLimit", 2},
                {"template",
                 {{"metadata", {{"labels", keyd_labels(v)}}},
                  {"spec", keyd_pod_spec(v, "Never", {"rotate", "--config", config_path})}}}};
  Json cronjob{{"apiVersion", "batch/v1"},
               {"kind", "CronJob"},
               {"metadata", metadata(k_keyd, v.namespace_name, keyd_labels(v))},
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

namespace {

// The kubernetes target both keyd configurations deliver to: the key Secret (none with agent
// delivery) and the StatefulSet's restart.
Json keyd_target(const BundleValues& v) {
  Json target{{"type", "kubernetes"}, {"namespace", v.namespace_name}};
  if (agent_delivery(v)) {
    target[comment("restart-only")] =
        "Restart only: no Secret holds the key; each restarted pod's keyd agent fetches the new one.";
  } else {
    target["secret"] = v.key_delivery.secret;
    target["key"] = v.key_delivery.key;
  }
  target.update(Json{{"restart", Json::array({Json{{"kind", "StatefulSet"}, {"name", v.name}}})},
                     {"strategy", v.keyd.strategy},
                     {"wait", true},
                     {"timeout", v.keyd.rollout_timeout}});
  return target;
}

}  // namespace

// keyd on an operator's workstation for this bundle: the same Vault mount and path, the same swarm,
// Secret, namespace and StatefulSet as the cluster's keyd, from the same values. Vault is reached
// at VAULT_ADDR with VAULT_TOKEN (the cluster's address is usually not reachable from outside), the
// cluster through the kubeconfig's current context, and the audit is a file next to this one.
std::string render_operator_config_text(const BundleValues& v) {
  Json store_vault{
      {comment("address"), "VAULT_ADDR and VAULT_TOKEN from your shell (in the cluster keyd uses " +
                               v.keyd.vault.address + "; e.g. kubectl port-forward to it, or your Vault's "
                               "external address). The token needs policies/keyd.hcl."},
      {"mount", v.keyd.vault.mount},
      {"auth", {{"method", "token"}}}};
  Json audit{{comment("audit"), daemon_mode(v)
                                    ? std::string("This workstation's own audit file. The daemon's replicas "
                                                  "audit to stdout with the head in Vault; a version written "
                                                  "from here is named by keyd audit verify on their lines as "
                                                  "not accounted for: prefer POST /v1/swarms/" +
                                                  v.keyd.swarm + "/rotate (docs/daemon.md).")
                                    : std::string("This workstation's own audit file; the CronJob's keyd "
                                                  "records versions written from here as recovered.")},
             {"file", "operator-audit.jsonl"}};
  Json swarm{{"name", v.keyd.swarm}, {"path", v.keyd.path}, {"targets", Json::array({keyd_target(v)})}};
  Json config{{"store", {{"backend", "vault"}, {"vault", store_vault}}},
              {"audit", audit},
              {comment("kubernetes"), "Your kubeconfig's current context must be the cluster the bundle is "
                                      "applied to; namespace " + v.namespace_name + " is named by the target."},
              {"swarms", Json::array({swarm})}};
  return std::string(k_bundle_header) + "\n" +
         "# keyd for an operator's workstation, from the same values as the cluster's keyd:\n"
         "#   keyd rotate --config <this file>   a new key now: into Vault, the Secret, one rolling restart\n"
         "#   keyd sync --config <this file>     the stored key into the Secret (after kubectl apply -k)\n" +
         to_yaml(config);
}

BundleFile operator_config_file(const BundleValues& v) {
  return {std::string(k_operator_config), render_operator_config_text(v)};
}

std::string render_keyd_config_text(const BundleValues& v) {
  const config::BundleVault& vault = v.keyd.vault;
  Json auth{{"method", config::to_string(vault.auth_method)}};
  if (vault.auth_method == config::VaultAuthMethod::kubernetes) {
    auth["role"] = vault.role;
  } else if (vault.auth_method == config::VaultAuthMethod::approle) {
    auth["role_id_file"] = std::string(k_credentials_dir) + "/role-id";
    auth["secret_id_file"] = std::string(k_credentials_dir) + "/secret-id";
  } else {
    auth["token_file"] = std::string(k_credentials_dir) + "/token";
  }
  Json store_vault{{"address", vault.address}, {"mount", vault.mount}, {"auth", auth}};
  if (!vault.ca_secret.empty()) store_vault["tls"] = Json{{"ca_file", std::string(k_vault_ca_dir) + "/ca.crt"}};
  const Json target = keyd_target(v);
  Json swarm{{"name", v.keyd.swarm}, {"path", v.keyd.path}};
  if (daemon_mode(v)) {
    Json rotation{{"max_age", v.keyd.daemon.max_age}};
    if (!v.keyd.daemon.window.empty()) rotation["window"] = v.keyd.daemon.window;
    swarm["rotation"] = rotation;
    swarm[comment("operators")] =
        "Who may POST /v1/swarms/<name>/rotate and /sync (docs/daemon.md): k8s:<user>, e.g. "
        "k8s:system:serviceaccount:ops:ci; [] = nobody. Scheduled rotations do not need it.";
    swarm["operators"] = Json::array();
  }
  swarm["targets"] = Json::array({target});
  Json audit{{"file", std::string(k_audit_dir) + "/audit.jsonl"}};
  if (daemon_mode(v)) {
    audit = Json{{comment("sink"),
                  "Every replica prints its audit lines on stdout for the cluster's log pipeline; the chain's "
                  "head is in Vault at head_path (policies/keyd.hcl), so the replicas extend one chain."},
                 {"sink", "stdout"},
                 {"head_path", "keyd/audit-head"}};
  }
  Json config{{"store", {{"backend", "vault"}, {"vault", store_vault}}}, {"audit", audit}};
  if (daemon_mode(v)) {
    config["sync_interval"] = v.keyd.daemon.sync_interval;
    config["server"] = Json{{"listen", "0.0.0.0:" + std::to_string(k_daemon_port)},
                            {"auth", {{"tokenreview", {{"enabled", true}, {"audiences", Json::array({"keyd"})}}}}}};
    config["leader_election"] = Json{{"lease_name", std::string(k_keyd)}, {"lease_namespace", v.namespace_name}};
  }
  config["swarms"] = Json::array({swarm});
  return to_yaml(config);
}

}  // namespace keyd::app::bundle
