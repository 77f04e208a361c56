// keyd bundle's renderer: deterministic, valid YAML, no key anywhere, and none of the original
// ipfs-overlay bugs (an init script that never initialises, two volumes on one path, GET probes on
// the POST-only RPC API, a committed Secret, subPath mounts that never update).
#include "bundle_test_support.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace keyd::app {
namespace {

using namespace bundle_test;

TEST(BundleRender, SameValuesGiveByteIdenticalFiles) {
  for (const BundleValues& v : {BundleValues{}, custom()}) {
    const auto first = render_bundle(v);
    BundleValues copy = v;
    const auto second = render_bundle(copy);
    ASSERT_EQ(first.size(), second.size());
    for (std::size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(first[i].name, second[i].name);
      EXPECT_EQ(first[i].content, second[i].content) << first[i].name;
    }
  }
}

TEST(BundleRender, FilesInOrderAndTheKustomizationListsTheManifests) {
  const auto files = render_bundle(BundleValues{});
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"namespace.yaml", "ipfs-config.yaml", "ipfs-statefulset.yaml",
                                             "ipfs-service.yaml", "ipfs-networkpolicy.yaml", "keyd-rbac.yaml",
                                             "keyd-config.yaml", "keyd-audit-pvc.yaml", "keyd-cronjob.yaml",
                                             "kustomization.yaml", "ipfs-overlay.manifest.json",
                                             "operator/keyd.yaml"}));
  const YAML::Node k = YAML::Load(find(files, "kustomization.yaml")->content);
  EXPECT_EQ(k["kind"].as<std::string>(), "Kustomization");
  std::vector<std::string> resources;
  for (const auto& r : k["resources"]) resources.push_back(r.as<std::string>());
  EXPECT_EQ(resources, std::vector<std::string>(names.begin(), names.begin() + 9));
  for (const auto& f : files) {
    EXPECT_TRUE(f.content.ends_with("\n")) << f.name;
    if (f.name.ends_with(".yaml")) {
      EXPECT_TRUE(f.content.starts_with(k_bundle_header)) << f.name;
    }
  }
}

TEST(BundleRender, NoKeyAndNoSecretAnywhere) {
  for (const BundleValues& v : {BundleValues{}, custom()}) {
    const auto files = render_bundle(v);
    for (const auto& f : files) {
      EXPECT_EQ(f.content.find("/key/swarm/psk"), std::string::npos) << f.name;
      EXPECT_EQ(f.content.find("IPFS_SWARM_KEY"), std::string::npos) << f.name;
    }
    for (const auto& doc : documents(files)) EXPECT_NE(doc["kind"].as<std::string>(), "Secret");
  }
}

TEST(BundleRender, TheStatefulSetFixesTheOriginalBugs) {
  const auto files = render_bundle(BundleValues{});
  const YAML::Node sts = object(files, "StatefulSet", "ipfs");
  const YAML::Node pod = sts["spec"]["template"]["spec"];
  // One volume per mount path in every container; no subPath anywhere.
  for (const char* list : {"initContainers", "containers"}) {
    for (const auto& c : pod[list]) {
      std::set<std::string> paths;
      for (const auto& m : c["volumeMounts"]) {
        EXPECT_TRUE(paths.insert(m["mountPath"].as<std::string>()).second) << m["mountPath"].as<std::string>();
        EXPECT_FALSE(m["subPath"]) << "subPath mounts never update";
      }
    }
  }
  // The key volume is the Secret keyd syncs.
  bool secret_volume = false;
  for (const auto& vol : pod["volumes"]) {
    if (vol["secret"]) secret_volume = vol["secret"]["secretName"].as<std::string>() == "ipfs-swarm-key";
  }
  EXPECT_TRUE(secret_volume);
  // Probes: none is an HTTP GET (Kubo's RPC API answers POST only).
  const YAML::Node ipfs = pod["containers"][0];
  for (const char* probe : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    ASSERT_TRUE(ipfs[probe]) << probe;
    EXPECT_FALSE(ipfs[probe]["httpGet"]) << probe;
    EXPECT_EQ(ipfs[probe]["exec"]["command"][0].as<std::string>(), "ipfs") << probe;
  }
  // LIBP2P_FORCE_PNET=1 on the daemon.
  bool forced = false;
  for (const auto& e : ipfs["env"])
    forced |= e["name"].as<std::string>() == "LIBP2P_FORCE_PNET" && e["value"].as<std::string>() == "1";
  EXPECT_TRUE(forced);
  // The init script: ipfs init only without a config; the key installed 0600 on every start.
  const std::string script = object(files, "ConfigMap", "ipfs-overlay")["data"]["configure.sh"].as<std::string>();
  EXPECT_NE(script.find("if [ ! -f \"$IPFS_PATH/config\" ]; then\n  ipfs init\nfi\n"), std::string::npos) << script;
  EXPECT_NE(script.find("install -m 0600 /var/run/ipfs-overlay/swarm-key/swarm.key \"$IPFS_PATH/swarm.key.tmp\"\n"
                        "mv -f \"$IPFS_PATH/swarm.key.tmp\" \"$IPFS_PATH/swarm.key\"\n"),
            std::string::npos)
      << script;
  for (const std::string line :
       {"ipfs config --json Bootstrap '[]'", "ipfs config --json Discovery.MDNS.Enabled 'false'",
        "ipfs config --json Swarm.DisableNatPortMap 'true'", "ipfs config --json Routing.Type '\"none\"'",
        "ipfs config --json Addresses.API '\"/ip4/0.0.0.0/tcp/5001\"'"}) {
    EXPECT_NE(script.find(line + "\n"), std::string::npos) << line;
  }
  EXPECT_EQ(pod["initContainers"][0]["command"][1].as<std::string>(), "/etc/ipfs-overlay/configure.sh");
}

TEST(BundleRender, ValuesShapeTheBundle) {
  const auto files = render_bundle(custom());
  const std::string script = object(files, "ConfigMap", "kubo-overlay")["data"]["configure.sh"].as<std::string>();
  EXPECT_NE(
      script.find("ipfs config --json Bootstrap "
                  "'[\"/ip4/10.147.17.10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo\"]'\n"),
      std::string::npos);
  const YAML::Node pod = object(files, "StatefulSet", "kubo")["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["hostNetwork"].as<bool>());
  EXPECT_EQ(pod["dnsPolicy"].as<std::string>(), "ClusterFirstWithHostNet");
  // A label value "true" stays a string: quoted in the text.
  EXPECT_NE(find(files, "ipfs-statefulset.yaml")->content.find("zerotier.flatracoon.io/member: \"true\""),
            std::string::npos);
  EXPECT_NE(find(files, "ipfs-networkpolicy.yaml")->content.find("tier: \"1\""), std::string::npos);
  // The loopback API is left out of the Service.
  std::vector<std::string> ports;
  for (const auto& p : object(files, "Service", "kubo")["spec"]["ports"]) ports.push_back(p["name"].as<std::string>());
  EXPECT_EQ(ports, (std::vector<std::string>{"swarm", "gateway"}));
  // daemon mode: a Deployment; recreate: keyd may delete pods; approle: the credentials Secret is mounted.
  EXPECT_EQ(find(files, "keyd-cronjob.yaml"), nullptr);
  const YAML::Node keyd_pod = object(files, "Deployment", "keyd")["spec"]["template"]["spec"];
  EXPECT_EQ(keyd_pod["containers"][0]["args"][0].as<std::string>(), "daemon");
  bool credentials = false;
  for (const auto& vol : keyd_pod["volumes"])
    credentials |= vol["secret"] && vol["secret"]["secretName"].as<std::string>() == "keyd-approle";
  EXPECT_TRUE(credentials);
  bool pods_rule = false;
  for (const auto& r : object(files, "Role", "keyd")["rules"])
    pods_rule |= r["resources"][0].as<std::string>() == "pods";
  EXPECT_TRUE(pods_rule);
  const std::string keyd_config = render_keyd_config(custom());
  EXPECT_NE(keyd_config.find("role_id_file: /var/run/secrets/keyd-vault/role-id"), std::string::npos) << keyd_config;
  EXPECT_NE(keyd_config.find("strategy: recreate"), std::string::npos);
  // Without a NetworkPolicy the file is gone and the kustomization does not list it.
  BundleValues open = custom();
  open.network_policy.enabled = false;
  const auto open_files = render_bundle(open);
  EXPECT_EQ(find(open_files, "ipfs-networkpolicy.yaml"), nullptr);
  EXPECT_EQ(find(open_files, "kustomization.yaml")->content.find("networkpolicy"), std::string::npos);
}

BundleValues agent() {
  BundleValues v;
  v.key_delivery.mode = "agent";
  v.key_delivery.agent.role = "ipfs-reader";
  v.key_delivery.agent.auth_mount = "k8s-prod";
  v.keyd.vault.ca_secret = "vault-ca";
  return v;
}

std::vector<std::string> names_of(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item["name"].as<std::string>());
  return out;
}

TEST(BundleRender, AgentDeliveryHasAnAgentInitContainerAndNoSecret) {
  const auto files = render_bundle(agent());
  ASSERT_NE(find(files, "ipfs-agent.yaml"), nullptr);
  for (const auto& doc : documents(files)) EXPECT_NE(doc["kind"].as<std::string>(), "Secret");
  for (const auto& f : files) {
    EXPECT_EQ(f.content.find("ipfs-swarm-key"), std::string::npos) << f.name << ": no Secret is named anywhere";
  }
  // The pods' own identity, without an API token; a Vault-only projected token instead.
  const YAML::Node account = object(files, "ServiceAccount", "ipfs-node");
  EXPECT_FALSE(account["automountServiceAccountToken"].as<bool>());
  const YAML::Node pod = object(files, "StatefulSet", "ipfs")["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "ipfs-node");
  EXPECT_EQ(names_of(pod["volumes"]), (std::vector<std::string>{"settings", "keyd-agent", "vault-token", "vault-ca"}));
  for (const auto& vol : pod["volumes"]) {
    if (vol["name"].as<std::string>() == "vault-token") {
      const YAML::Node token = vol["projected"]["sources"][0]["serviceAccountToken"];
      EXPECT_EQ(token["audience"].as<std::string>(), "vault");
      EXPECT_EQ(token["expirationSeconds"].as<int>(), 600);
    }
  }
  // init-repo first (ipfs init, settings), then the agent writes the key into the data volume.
  EXPECT_EQ(names_of(pod["initContainers"]), (std::vector<std::string>{"init-repo", "swarm-key"}));
  const YAML::Node agent_container = pod["initContainers"][1];
  EXPECT_EQ(agent_container["image"].as<std::string>(), "ghcr.io/flatracoon/keyd:0.1.0");
  std::vector<std::string> args;
  for (const auto& a : agent_container["args"]) args.push_back(a.as<std::string>());
  EXPECT_EQ(args, (std::vector<std::string>{"agent", "--once", "--config", "/etc/keyd/keyd.yaml", "--swarm",
                                            "ipfs-overlay", "--sink", "/data/ipfs/swarm.key", "--uid", "1000", "--gid",
                                            "100", "--retries", "6", "--retry-max-wait", "15s"}));
  // It runs as Kubo's user (the pod's), so no capability is needed to own the file.
  EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 1000);
  EXPECT_EQ(pod["securityContext"]["runAsGroup"].as<int>(), 100);
  EXPECT_FALSE(agent_container["securityContext"]["runAsUser"]);
  EXPECT_EQ(agent_container["securityContext"]["capabilities"]["drop"][0].as<std::string>(), "ALL");
  EXPECT_FALSE(agent_container["securityContext"]["capabilities"]["add"]);
  EXPECT_EQ(names_of(agent_container["volumeMounts"]),
            (std::vector<std::string>{"data", "keyd-agent", "vault-token", "vault-ca"}));
  // Kubo refuses to start without a key; the init script no longer copies one.
  bool forced = false;
  for (const auto& e : pod["containers"][0]["env"])
    forced |= e["name"].as<std::string>() == "LIBP2P_FORCE_PNET" && e["value"].as<std::string>() == "1";
  EXPECT_TRUE(forced);
  const std::string script = object(files, "ConfigMap", "ipfs-overlay")["data"]["configure.sh"].as<std::string>();
  EXPECT_EQ(script.find("install -m 0600"), std::string::npos) << script;
  EXPECT_NE(script.find("keyd agent --once"), std::string::npos) << script;
  // The agent's keyd.yaml: Vault with Kubernetes auth through the projected token, the swarm's path.
  const auto agent_config = render_agent_config(agent());
  ASSERT_TRUE(agent_config);
  EXPECT_EQ(object(files, "ConfigMap", "ipfs-keyd-agent")["data"]["keyd.yaml"].as<std::string>(), *agent_config);
  const YAML::Node config = YAML::Load(*agent_config);
  const YAML::Node auth = config["store"]["vault"]["auth"];
  EXPECT_EQ(auth["method"].as<std::string>(), "kubernetes");
  EXPECT_EQ(auth["role"].as<std::string>(), "ipfs-reader");
  EXPECT_EQ(auth["mount"].as<std::string>(), "k8s-prod");
  EXPECT_EQ(auth["jwt_file"].as<std::string>(), "/var/run/secrets/vault/token");
  EXPECT_EQ(config["store"]["vault"]["address"].as<std::string>(), "https://vault.vault.svc:8200");
  EXPECT_EQ(config["store"]["vault"]["tls"]["ca_file"].as<std::string>(), "/var/run/secrets/keyd-vault-ca/ca.crt");
  EXPECT_EQ(config["swarms"][0]["path"].as<std::string>(), "ipfs-overlay/swarm-key");
  EXPECT_FALSE(config["swarms"][0]["targets"]);
  // keyd's target only restarts the StatefulSet, and keyd may not touch Secrets.
  const YAML::Node target = YAML::Load(render_keyd_config(agent()))["swarms"][0]["targets"][0];
  EXPECT_FALSE(target["secret"]);
  EXPECT_FALSE(target["key"]);
  EXPECT_EQ(target["restart"][0]["name"].as<std::string>(), "ipfs");
  for (const auto& r : object(files, "Role", "keyd")["rules"])
    EXPECT_NE(r["resources"][0].as<std::string>(), "secrets");
  // The module manifest names the Vault role the operator creates, and no Secret.
  const auto manifest = nlohmann::json::parse(find(files, k_module_manifest)->content);
  EXPECT_EQ(manifest["key_delivery"], "agent");
  EXPECT_TRUE(manifest["provides"][2]["endpoint"]["key_secret"].is_null());
  EXPECT_EQ(manifest["requires"][2]["agent"]["role"], "ipfs-reader");
  EXPECT_EQ(manifest["requires"][2]["agent"]["service_account"], "ipfs-node");
  // Secret delivery renders no agent config.
  EXPECT_FALSE(render_agent_config(BundleValues{}));
}

TEST(BundleRender, AgentVaultAddressOverridesKeydsAndCronJobModeStillWorks) {
  BundleValues v = agent();
  v.key_delivery.agent.vault_address = "https://vault.edge:8200";
  const YAML::Node config = YAML::Load(*render_agent_config(v));
  EXPECT_EQ(config["store"]["vault"]["address"].as<std::string>(), "https://vault.edge:8200");
  const auto files = render_bundle(v);
  EXPECT_NE(find(files, "keyd-cronjob.yaml"), nullptr);
  EXPECT_FALSE(YAML::Load(render_keyd_config(v))["sync_interval"]) << "no daemon section for the CronJob";
}

TEST(BundleRender, ModuleManifest) {
  const auto files = render_bundle(BundleValues{});
  const auto manifest = nlohmann::json::parse(find(files, k_module_manifest)->content);
  EXPECT_EQ(manifest["module"], "ipfs-overlay");
  EXPECT_EQ(manifest["version"], "1.0.0");
  EXPECT_EQ(manifest["layer"], "storage");
  std::vector<std::string> requires_names, provides;
  for (const auto& r : manifest["requires"]) requires_names.push_back(r["name"]);
  for (const auto& p : manifest["provides"]) provides.push_back(p["name"]);
  EXPECT_EQ(requires_names, (std::vector<std::string>{"kubernetes", "zerotier", "keyd-store"}));
  EXPECT_EQ(provides, (std::vector<std::string>{"ipfs-api", "ipfs-gateway", "swarm"}));
  EXPECT_EQ(manifest["api_endpoint"], "http://ipfs.ipfs-system.svc:5001/api/v0");
  EXPECT_EQ(manifest["health_endpoint"]["url"], "http://ipfs.ipfs-system.svc:5001/api/v0/id");
  EXPECT_EQ(manifest["health_endpoint"]["method"], "POST");
  const auto local = nlohmann::json::parse(find(render_bundle(custom()), k_module_manifest)->content);
  EXPECT_TRUE(local["api_endpoint"].is_null());
  EXPECT_FALSE(local["provides"][0]["endpoint"]["in_cluster"].get<bool>());
}

// Issue 19: the recommended labels on every object, a PodDisruptionBudget for more than one node,
// and claim templates that keep their first labels (the API server forbids changing them).
TEST(BundleRender, RecommendedLabelsAPodDisruptionBudgetAndUnchangedClaimLabels) {
  BundleValues v;
  const auto files = render_bundle(v);
  for (const auto& doc : documents(files)) {
    const std::string what = doc["kind"].as<std::string>() + " " + doc["metadata"]["name"].as<std::string>();
    if (doc["kind"].as<std::string>() == "Namespace") continue;
    const YAML::Node labels = doc["metadata"]["labels"];
    ASSERT_TRUE(labels) << what;
    EXPECT_EQ(labels["app.kubernetes.io/instance"].as<std::string>(""), "ipfs") << what;
    EXPECT_EQ(labels["app.kubernetes.io/managed-by"].as<std::string>(""), "keyd") << what;
    EXPECT_EQ(labels["app.kubernetes.io/part-of"].as<std::string>(""), "ipfs-overlay") << what;
  }
  const YAML::Node sts = object(files, "StatefulSet", "ipfs");
  EXPECT_EQ(sts["metadata"]["labels"]["app.kubernetes.io/version"].as<std::string>(""), "v0.32.1");
  EXPECT_EQ(sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"].as<std::string>(""), "v0.32.1");
  EXPECT_EQ(object(files, "ServiceAccount", "keyd")["metadata"]["labels"]["app.kubernetes.io/version"].as<std::string>(""),
            "0.1.0");
  const YAML::Node claim_labels = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"];
  EXPECT_EQ(claim_labels.size(), 3U) << "claim templates keep the labels of the first release";
  EXPECT_FALSE(claim_labels["app.kubernetes.io/instance"]);
  EXPECT_EQ(sts["spec"]["selector"]["matchLabels"].size(), 1U) << "the selector is immutable: unchanged";

  const YAML::Node pdb = object(files, "PodDisruptionBudget", "ipfs");
  EXPECT_EQ(pdb["apiVersion"].as<std::string>(), "policy/v1");
  EXPECT_EQ(pdb["spec"]["maxUnavailable"].as<int>(), 1);
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(), "ipfs");

  v.ipfs.replicas = 1;
  v.ipfs.image = "ipfs/kubo@sha256:" + std::string(64, 'a');
  const auto single = render_bundle(v);
  for (const auto& doc : documents(single)) EXPECT_NE(doc["kind"].as<std::string>(), "PodDisruptionBudget");
  EXPECT_FALSE(object(single, "StatefulSet", "ipfs")["metadata"]["labels"]["app.kubernetes.io/version"])
      << "an image pinned by digest has no tag to label with";
}

TEST(BundleRender, TheVersionLabelIsTheImageTagWhenItIsAValidLabelValue) {
  const auto version_of = [](const std::string& image) -> std::string {
    BundleValues v;
    v.ipfs.image = image;
    const YAML::Node labels = object(render_bundle(v), "StatefulSet", "ipfs")["metadata"]["labels"];
    return labels["app.kubernetes.io/version"] ? labels["app.kubernetes.io/version"].as<std::string>() : "(none)";
  };
  EXPECT_EQ(version_of("ipfs/kubo:v0.32.1"), "v0.32.1");
  EXPECT_EQ(version_of("registry.local:5000/kubo:v0.33.0"), "v0.33.0");
  EXPECT_EQ(version_of("registry.local:5000/kubo"), "(none)") << "a registry's port is not a tag";
  EXPECT_EQ(version_of("ipfs/kubo@sha256:" + std::string(64, 'b')), "(none)");
  EXPECT_EQ(version_of("ipfs/kubo:-x"), "(none)") << "a label value starts alphanumeric";
  EXPECT_EQ(version_of("ipfs/kubo:" + std::string(64, 'c')), "(none)") << "over 63 characters";
}

}  // namespace
}  // namespace keyd::app
