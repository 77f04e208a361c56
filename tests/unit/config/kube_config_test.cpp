// Kubernetes targets and the top-level kubernetes section on valid input: defaults, every key.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace keyd::config {
namespace {

using namespace std::chrono_literals;

Config parse_ok(const std::string& yaml) {
  auto config = parse_config(yaml, "t.yaml");
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

TargetConfig only_target(const Config& config) {
  EXPECT_EQ(config.swarms.size(), 1U);
  EXPECT_EQ(config.swarms.at(0).targets.size(), 1U);
  return config.swarms.at(0).targets.at(0);
}

TEST(KubeConfig, MinimalSecretTargetGetsEveryDefault) {
  const Config config = parse_ok("swarms:\n  - name: a\n    targets:\n      - {type: kubernetes, secret: ipfs-swarm-key}\n");
  const TargetConfig t = only_target(config);
  EXPECT_EQ(to_string(t.type), "kubernetes");
  EXPECT_EQ(t.path, "");
  EXPECT_EQ(t.namespace_name, "");
  EXPECT_EQ(t.secret, "ipfs-swarm-key");
  EXPECT_EQ(t.key, "swarm.key");
  EXPECT_FALSE(t.adopt);
  EXPECT_TRUE(t.restart.empty());
  EXPECT_EQ(to_string(t.strategy), "rolling");
  EXPECT_TRUE(t.wait);
  EXPECT_EQ(t.timeout, 10min);
  EXPECT_FALSE(t.rollback_on_failure);
  EXPECT_EQ(config.kubernetes.kubeconfig, "");
  EXPECT_EQ(config.kubernetes.context, "");
}

TEST(KubeConfig, EveryKeyIsRead) {
  const Config config = parse_ok(R"(kubernetes:
  kubeconfig: /etc/keyd/kubeconfig
  context: prod
swarms:
  - name: ipfs-overlay
    targets:
      - type: kubernetes
        namespace: ipfs-system
        secret: ipfs-swarm-key
        key: IPFS_SWARM.key-1
        adopt: true
        restart:
          - {kind: StatefulSet, name: ipfs}
          - {kind: Deployment, name: gateway.web}
          - kind: DaemonSet
            name: ipfs-edge
        strategy: recreate
        wait: false
        timeout: 2m30s
        rollback_on_failure: true
      - {type: file, path: .keyd/ipfs/swarm.key}
)");
  EXPECT_EQ(config.kubernetes.kubeconfig, "/etc/keyd/kubeconfig");
  EXPECT_EQ(config.kubernetes.context, "prod");
  ASSERT_EQ(config.swarms.size(), 1U);
  ASSERT_EQ(config.swarms[0].targets.size(), 2U);
  const TargetConfig& t = config.swarms[0].targets[0];
  EXPECT_EQ(t.namespace_name, "ipfs-system");
  EXPECT_EQ(t.secret, "ipfs-swarm-key");
  EXPECT_EQ(t.key, "IPFS_SWARM.key-1");
  EXPECT_TRUE(t.adopt);
  ASSERT_EQ(t.restart.size(), 3U);
  EXPECT_EQ(to_string(t.restart[0].kind), "StatefulSet");
  EXPECT_EQ(t.restart[0].name, "ipfs");
  EXPECT_EQ(to_string(t.restart[1].kind), "Deployment");
  EXPECT_EQ(t.restart[1].name, "gateway.web");
  EXPECT_EQ(to_string(t.restart[2].kind), "DaemonSet");
  EXPECT_EQ(t.restart[2].name, "ipfs-edge");
  EXPECT_EQ(to_string(t.strategy), "recreate");
  EXPECT_FALSE(t.wait);
  EXPECT_EQ(t.timeout, 150s);
  EXPECT_TRUE(t.rollback_on_failure);
  EXPECT_EQ(to_string(config.swarms[0].targets[1].type), "file");
  EXPECT_EQ(config.swarms[0].targets[1].path, ".keyd/ipfs/swarm.key");
}

TEST(KubeConfig, RestartOnlyTargetNeedsNoSecret) {
  const TargetConfig t = only_target(parse_ok(
      "swarms:\n  - name: a\n    targets:\n      - {type: kubernetes, restart: [{kind: StatefulSet, name: ipfs}]}\n"));
  EXPECT_EQ(t.secret, "");
  ASSERT_EQ(t.restart.size(), 1U);
  EXPECT_EQ(t.restart[0].name, "ipfs");
}

TEST(KubeConfig, SecretOnlyTargetMayDisableRestarts) {
  const TargetConfig t =
      only_target(parse_ok("swarms:\n  - name: a\n    targets:\n      - {type: kubernetes, secret: s, strategy: none}\n"));
  EXPECT_EQ(to_string(t.strategy), "none");
  EXPECT_TRUE(t.restart.empty());
}

TEST(KubeConfig, BoundaryValuesAreAccepted) {
  struct Case {
    std::string reason;
    std::string fields;  // inside the target's flow map, after "type: kubernetes, "
  };
  const std::vector<Case> cases{
      {"a 63-character namespace", "namespace: " + std::string(63, 'n') + ", secret: s"},
      {"a one-character namespace", "namespace: '0', secret: s"},
      {"a 253-character Secret name", "secret: " + std::string(125, 'a') + "." + std::string(127, 'b')},
      {"a Secret name with dots and dashes", "secret: a-1.b--2.c"},
      {"a Secret key of one character", "secret: s, key: _"},
      {"a Secret key starting with dots", "secret: s, key: ..data"},
      {"timeout 1ms is the lower bound", "secret: s, timeout: 1ms"},
      {"timeout 24h is the upper bound", "secret: s, timeout: 24h"},
      {"booleans in capitals", "secret: s, adopt: TRUE, wait: False, rollback_on_failure: True"},
      {"an empty restart list with a secret", "secret: s, restart: []"},
      {"the same name with two kinds", "restart: [{kind: StatefulSet, name: x}, {kind: Deployment, name: x}]"},
      {"restarts paused with strategy none", "secret: s, strategy: none, restart: [{kind: StatefulSet, name: x}]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    const auto config = parse_config("swarms:\n  - name: a\n    targets:\n      - {type: kubernetes, " + c.fields + "}\n", "t.yaml");
    EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  }
}

TEST(KubeConfig, KubernetesSectionMayBeEmptyOrPartial) {
  EXPECT_EQ(parse_ok("kubernetes: {}\nswarms: [{name: a}]\n").kubernetes.kubeconfig, "");
  const Config only_context = parse_ok("kubernetes: {context: kind-kind}\nswarms: [{name: a}]\n");
  EXPECT_EQ(only_context.kubernetes.context, "kind-kind");
  EXPECT_EQ(only_context.kubernetes.kubeconfig, "");
}

TEST(KubeConfig, ShippedExampleParses) {
  const auto config = load_config(std::filesystem::path(KEYD_SOURCE_DIR) / "configs" / "kubernetes.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  ASSERT_EQ(config->swarms.size(), 1U);
  bool found = false;
  for (const TargetConfig& t : config->swarms[0].targets) {
    if (to_string(t.type) != "kubernetes") continue;
    found = true;
    EXPECT_EQ(t.namespace_name, "ipfs-system");
    EXPECT_EQ(t.secret, "ipfs-swarm-key");
    ASSERT_EQ(t.restart.size(), 1U);
    EXPECT_EQ(to_string(t.restart[0].kind), "StatefulSet");
    EXPECT_EQ(t.restart[0].name, "ipfs");
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace keyd::config
