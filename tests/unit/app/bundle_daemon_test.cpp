// keyd bundle in daemon mode: the Deployment, its API Service, probes and permissions; the replicas
// that share no volume (audit.sink stdout, head in Vault), the PodDisruptionBudget that keeps one
// through a drain; the optional ServiceMonitor.
#include "bundle_test_support.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace keyd::app {
namespace {

using namespace bundle_test;

TEST(BundleDaemon, DaemonModeHasACompleteDaemonSectionProbesServiceAndRbac) {
  BundleValues v;
  v.keyd.mode = "daemon";
  v.keyd.daemon = {"1m", "168h", "Mon-Fri 02:00-04:00"};
  const auto files = render_bundle(v);
  const YAML::Node config = YAML::Load(render_keyd_config(v));
  EXPECT_EQ(config["sync_interval"].as<std::string>(), "1m");
  EXPECT_EQ(config["server"]["listen"].as<std::string>(), "0.0.0.0:8750");
  EXPECT_TRUE(config["server"]["auth"]["tokenreview"]["enabled"].as<bool>());
  EXPECT_EQ(config["server"]["auth"]["tokenreview"]["audiences"][0].as<std::string>(), "keyd");
  EXPECT_EQ(config["leader_election"]["lease_name"].as<std::string>(), "keyd");
  EXPECT_EQ(config["leader_election"]["lease_namespace"].as<std::string>(), "ipfs-system");
  EXPECT_EQ(config["swarms"][0]["rotation"]["max_age"].as<std::string>(), "168h");
  EXPECT_EQ(config["swarms"][0]["rotation"]["window"].as<std::string>(), "Mon-Fri 02:00-04:00");
  EXPECT_EQ(config["swarms"][0]["targets"][0]["secret"].as<std::string>(), "ipfs-swarm-key");
  // Probes on the API port; a Service for it.
  const YAML::Node container = object(files, "Deployment", "keyd")["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), 8750);
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["port"].as<std::string>(), "http");
  const YAML::Node service = object(files, "Service", "keyd");
  EXPECT_EQ(service["spec"]["ports"][0]["port"].as<int>(), 8750);
  EXPECT_EQ(service["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>(), "keyd");
  // Leases in its namespace (create; get/update on its own), TokenReviews through system:auth-delegator.
  std::vector<std::string> lease_verbs;
  for (const auto& r : object(files, "Role", "keyd")["rules"]) {
    if (r["apiGroups"][0].as<std::string>() != "coordination.k8s.io") continue;
    EXPECT_EQ(r["resources"][0].as<std::string>(), "leases");
    if (r["resourceNames"]) {
      EXPECT_EQ(r["resourceNames"][0].as<std::string>(), "keyd");
    }
    for (const auto& verb : r["verbs"]) lease_verbs.push_back(verb.as<std::string>());
  }
  EXPECT_EQ(lease_verbs, (std::vector<std::string>{"create", "get", "update"}));
  const YAML::Node binding = object(files, "ClusterRoleBinding", "keyd-tokenreview-ipfs-system");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(), "system:auth-delegator");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "keyd");
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(), "ipfs-system");
  // The CronJob mode has none of it.
  const auto cron = render_bundle(BundleValues{});
  for (const auto& doc : documents(cron)) {
    EXPECT_NE(doc["kind"].as<std::string>(), "ClusterRoleBinding");
    EXPECT_FALSE(doc["kind"].as<std::string>() == "Service" && doc["metadata"]["name"].as<std::string>() == "keyd");
  }
  EXPECT_FALSE(YAML::Load(render_keyd_config(BundleValues{}))["server"]);
  // The module manifest offers the API.
  const auto manifest = nlohmann::json::parse(find(files, k_module_manifest)->content);
  EXPECT_EQ(manifest["provides"][3]["name"], "keyd-api");
  EXPECT_EQ(manifest["provides"][3]["endpoint"]["url"], "http://keyd.ipfs-system.svc:8750");
  EXPECT_EQ(manifest["requires"][0]["kinds"][1], "Deployment");
}

// Issue 19: an optional ServiceMonitor for the daemon's /metrics, on the Service's port by name.
TEST(BundleDaemon, AServiceMonitorScrapesTheDaemonOnlyWhenAskedFor) {
  BundleValues v;
  v.keyd.mode = "daemon";
  for (const auto& doc : documents(render_bundle(v))) EXPECT_NE(doc["kind"].as<std::string>(), "ServiceMonitor");
  v.keyd.daemon.service_monitor = true;
  const auto files = render_bundle(v);
  const YAML::Node monitor = object(files, "ServiceMonitor", "keyd");
  const YAML::Node service = object(files, "Service", "keyd");
  EXPECT_EQ(monitor["apiVersion"].as<std::string>(), "monitoring.coreos.com/v1");
  EXPECT_EQ(monitor["metadata"]["namespace"].as<std::string>(), v.namespace_name);
  for (const auto& label : monitor["spec"]["selector"]["matchLabels"]) {
    EXPECT_EQ(service["metadata"]["labels"][label.first.as<std::string>()].as<std::string>(""),
              label.second.as<std::string>())
        << "the monitor selects the Service";
  }
  EXPECT_EQ(monitor["spec"]["endpoints"][0]["port"].as<std::string>(), service["spec"]["ports"][0]["name"].as<std::string>());
  EXPECT_EQ(monitor["spec"]["endpoints"][0]["path"].as<std::string>(), "/metrics");
  v.keyd.mode = "cronjob";  // no daemon, nothing to scrape
  for (const auto& doc : documents(render_bundle(v))) EXPECT_NE(doc["kind"].as<std::string>(), "ServiceMonitor");
}

// Issue 19 item 7: two replicas by default, sharing no volume: the audit goes to stdout with its
// head in Vault, the strategy rolls one pod at a time, a PodDisruptionBudget keeps one through a
// drain and the pods prefer different nodes. One replica: no PDB (it would block every drain).
TEST(BundleDaemon, TwoReplicasShareNoVolumeAndAPodDisruptionBudgetKeepsOne) {
  BundleValues v;
  v.keyd.mode = "daemon";
  const auto files = render_bundle(v);
  const YAML::Node deployment = object(files, "Deployment", "keyd");
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 2);
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(), "RollingUpdate");
  EXPECT_EQ(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>(), 0);
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  for (const auto& volume : pod["volumes"]) {
    EXPECT_FALSE(volume["persistentVolumeClaim"]) << "a claim two replicas would have to share";
    EXPECT_FALSE(volume["emptyDir"]) << "an audit that dies with its pod";
  }
  EXPECT_EQ(find(files, "keyd-audit-pvc.yaml"), nullptr);
  EXPECT_EQ(pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
               ["topologyKey"]
                   .as<std::string>(),
            "kubernetes.io/hostname");
  const YAML::Node pdb = object(files, "PodDisruptionBudget", "keyd");
  EXPECT_EQ(pdb["spec"]["minAvailable"].as<int>(), 1);
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(), "keyd");
  EXPECT_EQ(pdb["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>(), "keyd");
  const auto manifest = nlohmann::json::parse(find(files, k_module_manifest)->content);
  const auto kinds = manifest["requires"][0]["kinds"];
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "PodDisruptionBudget"), kinds.end()) << kinds.dump();

  const YAML::Node config = YAML::Load(render_keyd_config(v));
  EXPECT_EQ(config["audit"]["sink"].as<std::string>(), "stdout");
  EXPECT_EQ(config["audit"]["head_path"].as<std::string>(), "keyd/audit-head");
  EXPECT_FALSE(config["audit"]["file"]);

  v.keyd.daemon.replicas = 1;
  const auto single = render_bundle(v);
  EXPECT_EQ(object(single, "Deployment", "keyd")["spec"]["replicas"].as<int>(), 1);
  for (const auto& doc : documents(single)) {
    EXPECT_FALSE(doc["kind"].as<std::string>() == "PodDisruptionBudget" &&
                 doc["metadata"]["name"].as<std::string>() == "keyd")
        << "a budget of one replica would block every drain";
  }
  EXPECT_FALSE(object(single, "Deployment", "keyd")["spec"]["template"]["spec"]["affinity"]);

  // The CronJob keeps its audit file on a claim: one job at a time writes it.
  const auto cron = render_bundle(BundleValues{});
  EXPECT_NE(find(cron, "keyd-audit-pvc.yaml"), nullptr);
  EXPECT_EQ(YAML::Load(render_keyd_config(BundleValues{}))["audit"]["file"].as<std::string>(),
            "/var/lib/keyd/audit.jsonl");
}

}  // namespace
}  // namespace keyd::app
