// keyd bundle values: defaults (and configs/bundle-values.yaml documenting exactly them), a full
// custom set, refusal of anything that looks like key material without echoing it, and every
// invalid value reported at once with its line and column.
#include "keyd/config/bundle_values.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace keyd::config {
namespace {

const std::string k_hex = "5bd2d1c7a9e04f3e8c6b2a1d0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6";
const std::string k_key_file = "/key/swarm/psk/1.0.0/\n/base16/\n" + k_hex + "\n";

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(KEYD_SOURCE_DIR) + "/" + relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64(const std::string& raw) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(raw[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(raw[i + 1])) << 8U) |
                   static_cast<unsigned>(static_cast<unsigned char>(raw[i + 2]));
    for (int s = 18; s >= 0; s -= 6) out += k_alphabet[(n >> static_cast<unsigned>(s)) & 63U];
  }
  if (i + 1 == raw.size()) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(raw[i])) << 16U;
    out += std::string{k_alphabet[(n >> 18U) & 63U], k_alphabet[(n >> 12U) & 63U], '=', '='};
  } else if (i + 2 == raw.size()) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(raw[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(raw[i + 1])) << 8U);
    out += std::string{k_alphabet[(n >> 18U) & 63U], k_alphabet[(n >> 12U) & 63U], k_alphabet[(n >> 6U) & 63U], '='};
  }
  return out;
}

std::string error_of(const std::string& yaml) {
  auto parsed = parse_bundle_values(yaml, "values.yaml");
  EXPECT_FALSE(parsed.has_value()) << yaml;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_config);
  return parsed.error().message;
}

TEST(BundleValues, EmptyDocumentGivesTheDefaults) {
  auto parsed = parse_bundle_values("", "values.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  BundleValues expected;
  expected.source = "values.yaml";
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ(parsed->ipfs.image, "ipfs/kubo:v0.32.1");
  EXPECT_EQ(parsed->key_delivery.mode, "secret");
  EXPECT_EQ(parsed->keyd.mode, "cronjob");
}

TEST(BundleValues, TheDocumentedDefaultsFileHoldsExactlyTheDefaults) {
  const std::string text = read_source("configs/bundle-values.yaml");
  ASSERT_FALSE(text.empty());
  auto parsed = parse_bundle_values(text, "configs/bundle-values.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  BundleValues expected;
  expected.source = "configs/bundle-values.yaml";
  EXPECT_EQ(*parsed, expected);
  // Every key is documented: each non-comment line with a value carries a comment, or the block
  // it opens is commented just above it.
  for (const std::string key :
       {"namespace:", "replicas:", "bootstrap:", "swarm_addresses:", "routing:", "host_network:", "mode:", "schedule:",
        "strategy:", "auth_method:", "swarm_cidrs:", "api_clients:"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
}

TEST(BundleValues, ParsesACustomSet) {
  auto parsed = parse_bundle_values(R"(namespace: storage
name: kubo
version: 2.1.0-rc.1
ipfs:
  image: ipfs/kubo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  replicas: 5
  storage: {size: 100Gi, class: fast-ssd}
  resources:
    requests: {cpu: "1", memory: 1Gi}
    limits: {cpu: 2500m, memory: ""}
  bootstrap:
    - /ip4/10.147.17.10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo
    - /dns4/node-b.zt.example/tcp/4001/ws/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N
  swarm_addresses: [/ip4/0.0.0.0/tcp/4101]
  api_address: /ip4/127.0.0.1/tcp/5001
  gateway_address: /ip6/::/tcp/8081
  routing: dhtclient
zerotier:
  network_id: 8056c2e21c000001
  host_network: true
  node_selector: {zerotier.flatracoon.io/member: "true"}
key_delivery: {secret: kubo-key, key: key}
keyd:
  mode: daemon
  schedule: "@weekly"
  strategy: recreate
  rollout_timeout: 30m
  vault: {address: "https://vault.internal:8200", auth_method: approle, role: "", credentials_secret: keyd-approle,
          ca_secret: vault-ca}
network_policy: {swarm_cidrs: [10.147.17.0/24, "fd00::/8"], api_clients: {app: pinner}}
)",
                                    "custom.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const BundleValues& v = *parsed;
  EXPECT_EQ(v.namespace_name, "storage");
  EXPECT_EQ(v.ipfs.replicas, 5);
  EXPECT_EQ(v.ipfs.storage_class, "fast-ssd");
  EXPECT_EQ(v.ipfs.resources.requests.cpu, "1");
  EXPECT_EQ(v.ipfs.resources.limits.memory, "");
  ASSERT_EQ(v.ipfs.bootstrap.size(), 2U);
  EXPECT_EQ(v.ipfs.routing, "dhtclient");
  EXPECT_TRUE(v.zerotier.host_network);
  EXPECT_EQ(v.zerotier.node_selector.at("zerotier.flatracoon.io/member"), "true");
  EXPECT_EQ(v.key_delivery.secret, "kubo-key");
  EXPECT_EQ(v.keyd.mode, "daemon");
  EXPECT_EQ(v.keyd.rollout_timeout, "30m");
  EXPECT_EQ(to_string(v.keyd.vault.auth_method), "approle");
  EXPECT_EQ(v.keyd.vault.credentials_secret, "keyd-approle");
  EXPECT_EQ(v.network_policy.swarm_cidrs.size(), 2U);
  EXPECT_EQ(v.network_policy.api_clients.at("app"), "pinner");
}

struct KeyShape {
  const char* reason;
  std::string yaml;
  std::string path_and_line;       // what the error must name
  std::vector<std::string> never;  // what it must not contain
};

TEST(BundleValues, RefusesAnythingThatLooksLikeKeyMaterialWithoutEchoingIt) {
  std::string upper = k_hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string raw;
  for (std::size_t i = 0; i < 64; i += 2) raw += static_cast<char>(std::stoi(k_hex.substr(i, 2), nullptr, 16));
  const std::vector<KeyShape> shapes{
      {"a key file as a block scalar",
       "name: ipfs\nipfs:\n  bootstrap: []\n  image: |\n    /key/swarm/psk/1.0.0/\n    /base16/\n    " + k_hex + "\n",
       "values.yaml:4:",
       {k_hex}},
      {"a bare hex key", "keyd:\n  schedule: " + k_hex + "\n", "values.yaml:2:13: keyd.schedule:", {k_hex}},
      {"upper-case hex with 0x in a list",
       "network_policy:\n  swarm_cidrs: [10.0.0.0/8, 0x" + upper + "]\n",
       "values.yaml:2:29: network_policy.swarm_cidrs[1]:",
       {upper, k_hex}},
      {"the header in a string",
       "version: \"/key/swarm/psk/1.0.0/\\n/base16/\\n" + k_hex + "\"\n",
       "values.yaml:1:10: version:",
       {k_hex}},
      {"base64 of a key file (as in a Secret's data)",
       "ipfs:\n  image: " + base64(k_key_file) + "\n",
       "values.yaml:2:10: ipfs.image:",
       {base64(k_key_file), k_hex}},
      {"base64 of the 32 raw bytes",
       "zerotier:\n  network_id: " + base64(raw) + "\n",
       "values.yaml:2:15: zerotier.network_id:",
       {base64(raw)}},
      {"a key where an integer belongs",
       "ipfs:\n  replicas: " + k_hex + "\n",
       "values.yaml:2:13: ipfs.replicas:",
       {k_hex}},
      {"a key used as a map key",
       "zerotier:\n  node_selector:\n    " + k_hex + ": x\n",
       "values.yaml:3:5: a key in zerotier.node_selector:",
       {k_hex}},
      {"an unknown key's value", "swarm_key: " + k_hex + "\n", "values.yaml:1:12: swarm_key:", {k_hex}},
      {"a key as the agent's Vault role",
       "key_delivery:\n  mode: agent\n  agent:\n    role: " + k_hex + "\n",
       "values.yaml:4:11: key_delivery.agent.role:",
       {k_hex}},
      {"base64 of a key file as the daemon's window",
       "keyd:\n  daemon: {window: \"" + base64(k_key_file) + "\"}\n",
       "values.yaml:2:20: keyd.daemon.window:",
       {base64(k_key_file), k_hex}},
  };
  for (const auto& shape : shapes) {
    const std::string message = error_of(shape.yaml);
    EXPECT_NE(message.find(shape.path_and_line), std::string::npos) << shape.reason << ": " << message;
    EXPECT_NE(message.find("looks like key material"), std::string::npos) << shape.reason << ": " << message;
    for (const auto& secret : shape.never)
      EXPECT_EQ(message.find(secret), std::string::npos) << shape.reason << ": " << message;
    // Nothing else is reported: any other message could quote the value.
    EXPECT_EQ(message.find("unknown key"), std::string::npos) << shape.reason << ": " << message;
    EXPECT_EQ(message.find("expected"), std::string::npos) << shape.reason << ": " << message;
  }
}

TEST(BundleValues, AcceptsHexThatIsNotAKey) {
  // An image digest is 64 hex digits after "sha256:", not a bare value; peer IDs are base58.
  auto parsed = parse_bundle_values(
      "ipfs:\n  image: ipfs/kubo@sha256:" + k_hex +
          "\n  bootstrap: [/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo]\n"
          "zerotier: {network_id: 8056c2e21c000001}\n",
      "values.yaml");
  EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST(BundleValues, ReportsEveryInvalidValueAtOnceWithLineAndColumn) {
  const std::string message = error_of(R"(name: IPFS
colour: blue
ipfs:
  image: ipfs/kubo
  replicas: 0
  storage: {size: ten}
  bootstrap:
    - /ip4/10.0.0.1/tcp/4001
    - /ip4/10.0.0.1/udp/4001/quic-v1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo
  swarm_addresses: [/ip4/0.0.0.0/udp/4001/quic-v1]
  routing: auto
key_delivery: {mode: sidecar}
keyd:
  image: ghcr.io/flatracoon/keyd:latest
  mode: sidecar
  schedule: every monday
  vault: {address: "http://vault:8200", auth_method: approle}
network_policy: {swarm_cidrs: [10.147.17.0]}
)");
  for (const std::string expected :
       {"values.yaml:1:7: name: expected a lowercase RFC 1123 label of at most 40 characters, got 'IPFS'",
        "values.yaml:2:1: unknown key 'colour'", "values.yaml:4:10: ipfs.image: expected a pinned image",
        "values.yaml:5:13: ipfs.replicas: must be between 1 and 100, got 0",
        "values.yaml:6:19: ipfs.storage.size: expected a Kubernetes quantity such as 10Gi, got 'ten'",
        "values.yaml:8:7: ipfs.bootstrap[0]: expected /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/ws]/p2p/PEER-ID",
        "values.yaml:9:7: ipfs.bootstrap[1]:",
        "values.yaml:10:21: ipfs.swarm_addresses[0]: expected /ip4|ip6/HOST/tcp/PORT[/ws] (a private network is TCP or "
        "WebSocket only",
        "values.yaml:11:12: ipfs.routing: unknown routing type 'auto'",
        "values.yaml:12:22: key_delivery.mode: unknown key delivery 'sidecar' (expected: secret, agent)",
        "values.yaml:14:10: keyd.image: expected a pinned image",
        "values.yaml:15:9: keyd.mode: unknown keyd mode 'sidecar' (expected: cronjob, daemon)",
        "values.yaml:16:13: keyd.schedule: expected a 5-field cron schedule",
        "values.yaml:17:20: keyd.vault.address: expected an https:// URL, got 'http://vault:8200'",
        "keyd.vault.credentials_secret: required with auth_method approle (the name of a Secret holding role-id and "
        "secret-id)",
        "values.yaml:18:32: network_policy.swarm_cidrs[0]: expected a CIDR such as 10.147.17.0/24, got "
        "'10.147.17.0'"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << message;
  }
}

TEST(BundleValues, CrossFieldRules) {
  EXPECT_NE(error_of("ipfs: {api_address: /ip4/0.0.0.0/tcp/8080}\n")
                .find("values.yaml:1:7: ipfs: api_address and gateway_address use the same port 8080"),
            std::string::npos);
  EXPECT_NE(error_of("ipfs: {swarm_addresses: [/ip4/0.0.0.0/tcp/5001]}\n")
                .find("uses port 5001, which the API or the gateway uses"),
            std::string::npos);
  EXPECT_NE(error_of("keyd: {vault: {credentials_secret: vault-token}}\n")
                .find("keyd.vault.credentials_secret: only for auth_method approle or token"),
            std::string::npos);
  EXPECT_NE(error_of("keyd: {vault: {role: \"\"}}\n").find("keyd.vault.role: required with auth_method kubernetes"),
            std::string::npos);
  EXPECT_NE(error_of("ipfs: {swarm_addresses: []}\n").find("ipfs.swarm_addresses: must list at least one address"),
            std::string::npos);
  EXPECT_NE(error_of("ipfs: {bootstrap: [/ip4/10.0.0.1/tcp/4001/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N, "
                     "/ip4/10.0.0.1/tcp/4001/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N]}\n")
                .find("ipfs.bootstrap[1]: duplicate"),
            std::string::npos);
  EXPECT_NE(error_of("a: [unclosed\n").find("values.yaml:"), std::string::npos);
  EXPECT_NE(error_of("a: 1\n---\nb: 2\n").find("expected one YAML document, found 2"), std::string::npos);
  // Fuzz finding: a lone ',' made yaml-cpp 0.7's LoadAll loop forever.
  EXPECT_NE(error_of(",").find("values.yaml:1:1: unexpected token outside any collection"), std::string::npos);
}

TEST(BundleValues, AgentDeliveryAndDaemonValues) {
  auto parsed = parse_bundle_values(R"(key_delivery:
  mode: agent
  agent: {vault_address: "https://vault.agents:8200", auth_mount: k8s/prod, role: ipfs-reader, audience: vault-prod}
keyd:
  mode: daemon
  daemon: {sync_interval: 1m30s, max_age: 168h, window: "Mon-Fri 02:00-04:00; Sat 10:00-11:00", service_monitor: true}
)",
                                    "values.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->key_delivery.mode, "agent");
  EXPECT_EQ(parsed->key_delivery.agent,
            (BundleAgent{"https://vault.agents:8200", "k8s/prod", "ipfs-reader", "vault-prod"}));
  EXPECT_EQ(parsed->keyd.mode, "daemon");
  EXPECT_EQ(parsed->keyd.daemon, (BundleDaemon{"1m30s", "168h", "Mon-Fri 02:00-04:00; Sat 10:00-11:00", true}));
  // The defaults: the agent uses keyd's Vault address; the daemon checks every 30s, rotates after 30 days.
  const BundleValues defaults;
  EXPECT_EQ(defaults.key_delivery.agent, (BundleAgent{"", "kubernetes", "keyd-reader", "vault"}));
  EXPECT_EQ(defaults.keyd.daemon, (BundleDaemon{"30s", "720h", "", false}));
  // An empty vault_address or window means the default.
  auto empty = parse_bundle_values("key_delivery: {agent: {vault_address: \"\"}}\nkeyd: {daemon: {window: \"\"}}\n",
                                   "values.yaml");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->key_delivery.agent.vault_address, "");
  EXPECT_EQ(empty->keyd.daemon.window, "");
}

TEST(BundleValues, InvalidAgentAndDaemonValuesAreReportedWithTheirLines) {
  const std::string message = error_of(R"(key_delivery:
  mode: agent
  agent:
    vault_address: http://vault:8200
    auth_mount: /kubernetes
    role: "ipfs reader"
    audience: ""
    token: x
keyd:
  mode: daemon
  daemon:
    sync_interval: 0s
    max_age: 30m
    window: "Someday 02:00-04:00"
    service_monitor: sometimes
)");
  for (const std::string expected :
       {"values.yaml:4:20: key_delivery.agent.vault_address: expected an https:// URL, got 'http://vault:8200'",
        "values.yaml:5:17: key_delivery.agent.auth_mount: expected a relative path such as kubernetes, got "
        "'/kubernetes'",
        "values.yaml:6:11: key_delivery.agent.role: expected a Vault role name, got 'ipfs reader'",
        "values.yaml:7:15: key_delivery.agent.audience:", "values.yaml:8:5: unknown key 'token'",
        "values.yaml:12:20: keyd.daemon.sync_interval:", "values.yaml:13:14: keyd.daemon.max_age:",
        "values.yaml:14:13: keyd.daemon.window:", "values.yaml:15:22: keyd.daemon.service_monitor:"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << message;
  }
  EXPECT_NE(message.find("Someday"), std::string::npos) << "the window's problem names the bad entry: " << message;
}

TEST(BundleValues, LoadNamesAMissingFile) {
  auto loaded = load_bundle_values("/nonexistent/values.yaml");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(loaded.error().message, "values file /nonexistent/values.yaml: not found");
}

TEST(BundleValues, MultiaddrHelpers) {
  EXPECT_EQ(multiaddr_tcp_port("/ip4/0.0.0.0/tcp/4001"), 4001);
  EXPECT_EQ(multiaddr_tcp_port("/ip6/::/tcp/8080/ws"), 8080);
  EXPECT_EQ(multiaddr_tcp_port("/ip4/1.2.3.4/udp/4001"), 0);
  EXPECT_TRUE(multiaddr_is_loopback("/ip4/127.0.0.1/tcp/5001"));
  EXPECT_TRUE(multiaddr_is_loopback("/ip6/::1/tcp/5001"));
  EXPECT_FALSE(multiaddr_is_loopback("/ip4/0.0.0.0/tcp/5001"));
}

}  // namespace
}  // namespace keyd::config
