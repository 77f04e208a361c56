// keyd bundle end to end: the rendered files byte for byte against tests/golden/bundle/<case>/out
// for four value sets, the keyd.yaml files they carry loaded by keyd's own configuration loader,
// no key found in them by keyd scan, key-like values refused without a trace, the output
// directory rules, and the real kubectl building the kustomization and applying it to the
// kube-apiserver double.
//
// Regenerate the golden files after an intended change (then review `git diff tests/golden`):
//   KEYD_UPDATE_GOLDEN=1 ./build/dev/tests/keyd_cli_tests --gtest_filter='BundleCli.Golden*'
#include "keyd/config/config.hpp"
#include "support/kube_double.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <sstream>
#include <string>
#include <vector>

namespace keyd::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_kubectl = "/usr/bin/kubectl";
const std::string k_hex = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";

struct GoldenCase {
  const char* name;
  const char* values;  // relative to the source tree
};
constexpr GoldenCase k_cases[] = {{"default", "configs/bundle-values.yaml"},
                                  {"daemon", "tests/golden/bundle/daemon/values.yaml"},
                                  {"custom", "tests/golden/bundle/custom/values.yaml"},
                                  {"agent", "tests/golden/bundle/agent/values.yaml"}};

fs::path source(const std::string& relative) { return fs::path(KEYD_SOURCE_DIR) / relative; }

// Every file under dir (operator/keyd.yaml is in a subdirectory), relative to it.
std::set<std::string> file_names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

class BundleCli : public ::testing::Test {
 protected:
  CommandResult bundle(const std::vector<std::string>& args) {
    std::vector<std::string> all{"bundle"};
    all.insert(all.end(), args.begin(), args.end());
    return run_keyd(all, dir.path());
  }
  CommandResult render(const GoldenCase& c, const fs::path& out) {
    auto r = bundle({"--values", source(c.values).string(), "--out", out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  TempDir dir;
};

TEST_F(BundleCli, GoldenFilesMatchByteForByte) {
  const bool update = std::getenv("KEYD_UPDATE_GOLDEN") != nullptr;
  for (const auto& c : k_cases) {
    const fs::path out = dir / c.name;
    render(c, out);
    const fs::path golden = source(std::string("tests/golden/bundle/") + c.name + "/out");
    if (update) {
      fs::remove_all(golden);
      fs::create_directories(golden);
      for (const auto& name : file_names(out)) {
        fs::create_directories((golden / name).parent_path());
        fs::copy_file(out / name, golden / name);
      }
      continue;
    }
    ASSERT_TRUE(fs::is_directory(golden)) << golden << " is missing: run with KEYD_UPDATE_GOLDEN=1";
    EXPECT_EQ(file_names(out), file_names(golden)) << c.name;
    for (const auto& name : file_names(golden)) {
      if (!fs::exists(out / name)) continue;
      EXPECT_EQ(read_file(out / name), read_file(golden / name))
          << c.name << "/" << name << " differs from the golden file (KEYD_UPDATE_GOLDEN=1 regenerates them)";
    }
  }
}

TEST_F(BundleCli, RenderingTwiceGivesIdenticalFilesWithMode0644) {
  for (const auto& c : k_cases) {
    render(c, dir / "a");
    render(c, dir / "b");
    ASSERT_EQ(file_names(dir / "a"), file_names(dir / "b"));
    for (const auto& name : file_names(dir / "a")) {
      EXPECT_EQ(read_file(dir / "a" / name), read_file(dir / "b" / name)) << c.name << "/" << name;
      struct stat st {};
      ASSERT_EQ(::stat((dir / "a" / name).c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, 0644U) << name;
    }
    fs::remove_all(dir / "a");
    fs::remove_all(dir / "b");
  }
}

// data["keyd.yaml"] of the ConfigMap in a rendered file.
std::string config_map_keyd_yaml(const fs::path& file) {
  for (const auto& doc : YAML::LoadAll(read_file(file))) {
    if (doc.IsMap() && doc["kind"].as<std::string>() == "ConfigMap") return doc["data"]["keyd.yaml"].as<std::string>();
  }
  ADD_FAILURE() << "no ConfigMap in " << file;
  return {};
}

// What runs in the cluster reads these files with config::load_config: so does this test.
TEST_F(BundleCli, TheRenderedKeydConfigurationsLoadWithKeydsOwnLoader) {
  for (const auto& c : k_cases) {
    const fs::path out = dir / c.name;
    const auto rendered = render(c, out);
    write_file(dir / (std::string(c.name) + "-keyd.yaml"), config_map_keyd_yaml(out / "keyd-config.yaml"));
    auto loaded = config::load_config(dir / (std::string(c.name) + "-keyd.yaml"));
    ASSERT_TRUE(loaded) << c.name << ": " << loaded.error().message;
    ASSERT_EQ(loaded->swarms.size(), 1U);
    ASSERT_EQ(loaded->swarms[0].targets.size(), 1U);
    const config::TargetConfig& target = loaded->swarms[0].targets[0];
    EXPECT_EQ(config::to_string(target.type), "kubernetes");
    ASSERT_EQ(target.restart.size(), 1U);
    EXPECT_EQ(config::to_string(target.restart[0].kind), "StatefulSet");
    const bool agent = std::string(c.name) == "agent";
    const bool daemon = agent || std::string(c.name) == "daemon";
    EXPECT_EQ(target.secret.empty(), agent) << c.name << ": restart-only exactly with agent delivery";
    EXPECT_EQ(loaded->swarms[0].rotation.has_value(), daemon) << c.name;
    EXPECT_EQ(loaded->server.auth.tokenreview.enabled, daemon) << c.name;
    if (daemon) {
      EXPECT_EQ(loaded->server.listen, "0.0.0.0:8750");
      EXPECT_EQ(loaded->server.auth.tokenreview.audiences, std::vector<std::string>{"keyd"});
      EXPECT_EQ(loaded->leader_election.lease_name, "keyd");
      EXPECT_EQ(loaded->leader_election.lease_namespace, "ipfs-system");
    }
    if (agent) {
      EXPECT_NE(rendered.out.find("next: the Vault role ipfs-reader for service account ipfs-system/ipfs-node"),
                std::string::npos)
          << rendered.out;
      EXPECT_EQ(loaded->sync_interval, std::chrono::minutes(1));
      EXPECT_EQ(loaded->swarms[0].rotation->max_age, std::chrono::hours(168));
      ASSERT_TRUE(loaded->swarms[0].rotation->window.has_value());
      EXPECT_EQ(loaded->swarms[0].rotation->window->text(), "Mon-Fri 02:00-04:00");
      // The agent's own keyd.yaml: Kubernetes auth with the projected token, the swarm's path.
      write_file(dir / "agent-agent.yaml", config_map_keyd_yaml(out / "ipfs-agent.yaml"));
      auto agent_config = config::load_config(dir / "agent-agent.yaml");
      ASSERT_TRUE(agent_config) << agent_config.error().message;
      EXPECT_EQ(config::to_string(agent_config->store.backend), "vault");
      EXPECT_EQ(config::to_string(agent_config->store.vault.auth.method), "kubernetes");
      EXPECT_EQ(agent_config->store.vault.auth.role, "ipfs-reader");
      EXPECT_EQ(agent_config->store.vault.auth.mount, "k8s-prod");
      EXPECT_EQ(agent_config->store.vault.auth.jwt_file, "/var/run/secrets/vault/token");
      EXPECT_EQ(agent_config->swarms[0].path, "ipfs-overlay/swarm-key");
      EXPECT_TRUE(agent_config->swarms[0].targets.empty());
    } else if (daemon) {
      EXPECT_EQ(loaded->sync_interval, std::chrono::seconds(30));
      EXPECT_EQ(loaded->swarms[0].rotation->max_age, std::chrono::hours(720));
    }
    // Issue 19 item 2: the operator's keyd.yaml names what the cluster's names (one source), and
    // the CLI takes it as a config with a kubernetes target, its audit file next to it.
    auto op = config::load_config(out / "operator" / "keyd.yaml");
    ASSERT_TRUE(op) << c.name << ": " << op.error().message;
    EXPECT_EQ(config::to_string(op->store.backend), "vault");
    EXPECT_EQ(op->store.vault.mount, loaded->store.vault.mount) << c.name;
    EXPECT_TRUE(op->store.vault.address.empty()) << "VAULT_ADDR: the cluster's address is not the workstation's";
    EXPECT_EQ(config::to_string(op->store.vault.auth.method), "token");
    EXPECT_EQ(op->swarms[0].name, loaded->swarms[0].name);
    EXPECT_EQ(op->swarms[0].path, loaded->swarms[0].path);
    ASSERT_EQ(op->swarms[0].targets.size(), 1U);
    const config::TargetConfig& op_target = op->swarms[0].targets[0];
    EXPECT_EQ(op_target.namespace_name, target.namespace_name) << c.name;
    EXPECT_EQ(op_target.secret, target.secret) << c.name;
    EXPECT_EQ(op_target.key, target.key) << c.name;
    ASSERT_EQ(op_target.restart.size(), 1U);
    EXPECT_EQ(op_target.restart[0].name, target.restart[0].name) << c.name;
    EXPECT_EQ(config::to_string(op_target.strategy), config::to_string(target.strategy)) << c.name;
    EXPECT_EQ(op->audit.file, (out / "operator" / "operator-audit.jsonl").string());
    EXPECT_FALSE(op->swarms[0].rotation.has_value()) << "the workstation rotates when asked";
    const auto checked = run_keyd({"config", "check", "--config", (out / "operator" / "keyd.yaml").string(),
                                   "--require-target", "kubernetes"},
                                  dir.path());
    EXPECT_EQ(checked.exit_code, 0) << c.name << ": " << checked.err;
    EXPECT_NE(rendered.out.find("--config " + (out / "operator" / "keyd.yaml").string()), std::string::npos)
        << "the next steps name the operator's config: " << rendered.out;
  }
}

// keyd scan over every rendered bundle and the golden files: no key in any encoding.
TEST_F(BundleCli, KeydScanFindsNoKeyInTheRenderedBundles) {
  std::vector<std::string> args{"scan"};
  for (const auto& c : k_cases) {
    render(c, dir / c.name);
    args.push_back((dir / c.name).string());
  }
  args.push_back(source("tests/golden/bundle").string());
  const auto scanned = run_keyd(args, dir.path());
  EXPECT_EQ(scanned.exit_code, 0) << scanned.out << scanned.err;
  // The scanner does find a key where there is one, so the 0 above means something.
  write_file(dir / "agent" / "leak.yaml",
             "data:\n  swarm.key: |\n    /key/swarm/psk/1.0.0/\n    /base16/\n    " + k_hex + "\n");
  const auto leaked = run_keyd({"scan", (dir / "agent").string()}, dir.path());
  EXPECT_EQ(leaked.exit_code, 1) << leaked.out << leaked.err;
  EXPECT_NE(leaked.out.find("leak.yaml"), std::string::npos) << leaked.out;
}

TEST_F(BundleCli, WithoutValuesItRendersTheDocumentedDefaults) {
  ASSERT_EQ(bundle({"--out", (dir / "plain").string()}).exit_code, 0);
  render(k_cases[0], dir / "documented");
  for (const auto& name : file_names(dir / "documented")) {
    EXPECT_EQ(read_file(dir / "plain" / name), read_file(dir / "documented" / name)) << name;
  }
}

TEST_F(BundleCli, KeyLikeValuesAreRefusedAndNeverEchoed) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"ipfs:\n  image: |\n    /key/swarm/psk/1.0.0/\n    /base16/\n    " + k_hex + "\n",
       "values.yaml:2:10: ipfs.image:"},
      {"name: ipfs\nkey_delivery:\n  secret: " + k_hex + "\n", "values.yaml:3:11: key_delivery.secret:"},
      {"zerotier:\n  network_id: \"" + k_hex.substr(0, 32) + "\\\n    " + k_hex.substr(32) + "\"\n",
       "values.yaml:2:15: zerotier.network_id:"},
  };
  for (const auto& [yaml, where] : cases) {
    write_file(dir / "values.yaml", yaml);
    const auto r = bundle({"--values", "values.yaml", "--out", "deploy", "--log-level", "debug"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("looks like key material"), std::string::npos) << r.err;
    for (const std::string& output : {r.out, r.err}) {
      EXPECT_EQ(output.find(k_hex), std::string::npos) << output;
      EXPECT_EQ(output.find(k_hex.substr(0, 32)), std::string::npos) << output;
      EXPECT_EQ(output.find(k_hex.substr(32)), std::string::npos) << output;
    }
    EXPECT_FALSE(fs::exists(dir / "deploy")) << "nothing is written when the values are refused";
  }
}

TEST_F(BundleCli, InvalidValuesAreUsageErrorsNamingTheLine) {
  write_file(dir / "values.yaml", "ipfs:\n  replicas: many\nkey_delivery: {mode: vault-agent}\n");
  const auto r = bundle({"--values", "values.yaml", "--out", "deploy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("keyd: error: values.yaml:2:13: ipfs.replicas: expected an integer, got 'many'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("values.yaml:3:22: key_delivery.mode: unknown key delivery 'vault-agent' (expected: secret, "
                       "agent)"),
            std::string::npos)
      << r.err;
  const auto missing = bundle({"--values", "nope.yaml", "--out", "deploy"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("values file nope.yaml: not found"), std::string::npos) << missing.err;
}

TEST_F(BundleCli, OutputDirectoryRules) {
  // A directory with someone else's files is refused, unless --force.
  fs::create_directories(dir / "mine");
  write_file(dir / "mine" / "notes.txt", "hello\n");
  auto r = bundle({"--out", "mine"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("mine: not empty and not made by keyd bundle"), std::string::npos) << r.err;
  EXPECT_EQ(file_names(dir / "mine"), std::set<std::string>{"notes.txt"});
  EXPECT_EQ(bundle({"--out", "mine", "--force"}).exit_code, 0);
  EXPECT_EQ(read_file(dir / "mine" / "notes.txt"), "hello\n");
  // Its own directory is rewritten; files it no longer renders go, others' stay.
  r = bundle({"--out", "deploy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("deploy/keyd-cronjob.yaml\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("next: kubectl apply -k deploy"), std::string::npos) << r.out;
  write_file(dir / "deploy" / "README.local", "kept\n");
  write_file(dir / "values.yaml", "keyd: {mode: daemon}\n");
  ASSERT_EQ(bundle({"--values", "values.yaml", "--out", "deploy"}).exit_code, 0);
  const auto names = file_names(dir / "deploy");
  EXPECT_FALSE(names.contains("keyd-cronjob.yaml"));
  EXPECT_TRUE(names.contains("keyd-deployment.yaml"));
  EXPECT_TRUE(names.contains("README.local"));
  // A file in the way of the directory.
  write_file(dir / "afile", "x");
  r = bundle({"--out", "afile"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("afile: not a directory"), std::string::npos) << r.err;
}

// The real kubectl against the kube-apiserver double: kustomize builds, apply of its output
// creates every object, a second apply changes nothing, changed values configure in place.
class BundleKubectl : public BundleCli {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(k_kubectl)) << "kubectl is required: run scripts/install-kube-test-tools.sh";
  }
  CommandResult kubectl(std::vector<std::string> args, const std::string& stdin_data = {}) {
    args.insert(args.begin(),
                {k_kubectl, "--kubeconfig", kube.kubeconfig_file(), "--cache-dir", (dir / "kube-cache").string()});
    return run_command(args, dir.path(), {{"HOME", dir.path().string()}}, stdin_data);
  }

  KubeDouble kube;
};

TEST_F(BundleKubectl, KustomizeBuildsAndApplySucceedsForEveryCase) {
  for (const auto& c : k_cases) {
    kube.reset();
    const fs::path out = dir / c.name;
    render(c, out);
    const auto built = kubectl({"kustomize", out.string()});
    ASSERT_EQ(built.exit_code, 0) << c.name << ": " << built.err;
    write_file(dir / (std::string(c.name) + ".yaml"), built.out);
    const auto applied = kubectl({"apply", "-f", (dir / (std::string(c.name) + ".yaml")).string()});
    ASSERT_EQ(applied.exit_code, 0) << c.name << ": " << applied.out << applied.err;
    std::vector<std::string> created{"namespace/",
                                     "statefulset.apps/",
                                     "service/",
                                     "configmap/",
                                     "serviceaccount/keyd created",
                                     "role.rbac.authorization.k8s.io/keyd created"};
    const bool agent = c.name == std::string("agent");
    const bool daemon = agent || c.name == std::string("daemon");
    // The CronJob's audit file is on a claim; the daemon's replicas print theirs (head in Vault).
    if (!daemon) created.emplace_back("persistentvolumeclaim/keyd-audit created");
    if (agent) {
      created.insert(created.end(), {"serviceaccount/ipfs-node created", "configmap/ipfs-keyd-agent created"});
    }
    if (daemon) {
      created.insert(created.end(),
                     {"service/keyd created", "deployment.apps/keyd created",
                      "clusterrolebinding.rbac.authorization.k8s.io/keyd-tokenreview-ipfs-system created",
                      "poddisruptionbudget.policy/keyd created"});
      EXPECT_EQ(applied.out.find("persistentvolumeclaim/keyd-audit"), std::string::npos) << c.name;
    }
    for (const std::string& line : created) {
      EXPECT_NE(applied.out.find(line), std::string::npos) << c.name << ": " << line << "\n" << applied.out;
    }
    const auto again = kubectl({"apply", "-k", out.string()});
    ASSERT_EQ(again.exit_code, 0) << c.name << ": " << again.err;
    EXPECT_EQ(again.out.find("created"), std::string::npos) << again.out;
    // Nothing changes on a second apply. kubectl still reports the PodDisruptionBudget as
    // "configured": its spec.selector has patchStrategy replace, and kubectl's three-way patch
    // always carries a replace-strategy field (the object stays the same); every other object is
    // "unchanged".
    std::istringstream lines(again.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("poddisruptionbudget.policy/")) continue;
      EXPECT_EQ(line.find("configured"), std::string::npos) << c.name << ": " << line;
    }
    // The objects are in the double; the key Secret is not (keyd creates it).
    const std::string ns = c.name == std::string("custom") ? "flatracoon-storage" : "ipfs-system";
    const std::string name = c.name == std::string("custom") ? "overlay" : "ipfs";
    EXPECT_FALSE(kube.object("apps", "statefulsets", ns, name).is_null()) << c.name;
    EXPECT_FALSE(kube.object("", "services", ns, name).is_null()) << c.name;
    EXPECT_FALSE(kube.object("", "configmaps", ns, "keyd-config").is_null()) << c.name;
    EXPECT_EQ(kube.objects("", "secrets", ns).size(), 0U) << c.name;
    if (daemon) {
      EXPECT_FALSE(kube.object("apps", "deployments", ns, "keyd").is_null()) << c.name;
      EXPECT_FALSE(kube.object("", "services", ns, "keyd").is_null()) << c.name;
      EXPECT_EQ(kube.object("networking.k8s.io", "networkpolicies", ns, name).is_null(), !agent) << c.name;
    } else {
      EXPECT_FALSE(kube.object("batch", "cronjobs", ns, "keyd").is_null()) << c.name;
      EXPECT_FALSE(kube.object("networking.k8s.io", "networkpolicies", ns, name).is_null()) << c.name;
    }
  }
}

TEST_F(BundleKubectl, ChangedValuesConfigureInPlace) {
  render(k_cases[0], dir / "deploy");
  ASSERT_EQ(kubectl({"apply", "-k", (dir / "deploy").string()}).exit_code, 0);
  const auto before = kube.object("", "services", "ipfs-system", "ipfs");
  write_file(dir / "values.yaml",
             "ipfs:\n  replicas: 5\n  gateway_address: /ip4/0.0.0.0/tcp/8081\nkeyd: {schedule: \"@daily\"}\n"
             "network_policy: {swarm_cidrs: [10.147.17.0/24]}\n");
  ASSERT_EQ(bundle({"--values", "values.yaml", "--out", "deploy"}).exit_code, 0);
  const auto applied = kubectl({"apply", "-k", (dir / "deploy").string()});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  for (const std::string line : {"statefulset.apps/ipfs configured", "service/ipfs configured",
                                 "cronjob.batch/keyd configured", "networkpolicy.networking.k8s.io/ipfs configured",
                                 "configmap/ipfs-overlay configured", "serviceaccount/keyd unchanged"}) {
    EXPECT_NE(applied.out.find(line), std::string::npos) << line << "\n" << applied.out;
  }
  EXPECT_EQ(kube.object("apps", "statefulsets", "ipfs-system", "ipfs")["spec"]["replicas"], 5);
  const auto service = kube.object("", "services", "ipfs-system", "ipfs");
  EXPECT_EQ(service["spec"]["clusterIP"], before["spec"]["clusterIP"]);
  std::vector<int> ports;
  for (const auto& p : service["spec"]["ports"]) ports.push_back(p["port"]);
  EXPECT_EQ(ports, (std::vector<int>{4001, 5001, 8081}));
  EXPECT_EQ(kube.object("batch", "cronjobs", "ipfs-system", "keyd")["spec"]["schedule"], "@daily");
  const auto policy = kube.object("networking.k8s.io", "networkpolicies", "ipfs-system", "ipfs");
  EXPECT_EQ(policy["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"], "10.147.17.0/24");
}

}  // namespace
}  // namespace keyd::testing
