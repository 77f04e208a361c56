// parse_config on valid input (defaults, every key), load_config and select_swarm.
#include "keyd/config/config.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace keyd::config {
namespace {

Config parse_ok(const std::string& yaml) {
  auto config = parse_config(yaml, "t.yaml");
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

TEST(ParseConfig, MinimalConfigGetsEveryDefault) {
  const Config config = parse_ok("swarms:\n  - name: ipfs-overlay\n");
  EXPECT_EQ(config.source, "t.yaml");
  EXPECT_EQ(to_string(config.store.backend), "file");
  EXPECT_EQ(config.store.file.dir, ".keyd/store");
  EXPECT_EQ(config.store.file.master_key_file, "");
  EXPECT_EQ(config.store.file.max_versions, 10);
  EXPECT_EQ(config.audit.file, ".keyd/audit.jsonl");
  EXPECT_EQ(to_string(config.audit.sink), "file");
  EXPECT_EQ(config.audit.head_path, "keyd/audit-head");
  ASSERT_EQ(config.swarms.size(), 1U);
  EXPECT_EQ(config.swarms[0].name, "ipfs-overlay");
  EXPECT_EQ(config.swarms[0].path, "ipfs-overlay/swarm-key");
  EXPECT_TRUE(config.swarms[0].targets.empty());
}

TEST(ParseConfig, TheAuditCanGoToStdoutWithItsHeadInTheStore) {
  const Config config = parse_ok("store: {backend: vault}\naudit: {sink: stdout, head_path: ops/keyd-audit}\n"
                                 "swarms:\n  - name: ipfs-overlay\n");
  EXPECT_EQ(to_string(config.audit.sink), "stdout");
  EXPECT_EQ(config.audit.head_path, "ops/keyd-audit");
}

TEST(ParseConfig, EveryKeyIsRead) {
  const Config config = parse_ok(R"(# full example
store:
  backend: file
  file: {dir: /var/lib/keyd, master_key_file: /etc/keyd/master.key, max_versions: 3}
audit:
  file: /var/log/keyd/audit.jsonl
swarms:
  - name: ipfs-overlay
    path: overlays/main/swarm-key
    targets:
      - {type: file, path: .keyd/ipfs/swarm.key}
      - type: file
        path: /srv/ipfs/swarm.key
  - name: lab-2
)");
  EXPECT_EQ(config.store.file.dir, "/var/lib/keyd");
  EXPECT_EQ(config.store.file.master_key_file, "/etc/keyd/master.key");
  EXPECT_EQ(config.store.file.max_versions, 3);
  EXPECT_EQ(config.audit.file, "/var/log/keyd/audit.jsonl");
  ASSERT_EQ(config.swarms.size(), 2U);
  EXPECT_EQ(config.swarms[0].path, "overlays/main/swarm-key");
  ASSERT_EQ(config.swarms[0].targets.size(), 2U);
  EXPECT_EQ(to_string(config.swarms[0].targets[0].type), "file");
  EXPECT_EQ(config.swarms[0].targets[0].path, ".keyd/ipfs/swarm.key");
  EXPECT_EQ(config.swarms[0].targets[1].path, "/srv/ipfs/swarm.key");
  EXPECT_EQ(config.swarms[1].name, "lab-2");
  EXPECT_EQ(config.swarms[1].path, "lab-2/swarm-key");
}

struct ValidCase {
  std::string reason;
  std::string yaml;
  int max_versions;
  std::string name;
};

TEST(ParseConfig, BoundaryValuesAreAccepted) {
  const std::vector<ValidCase> cases{
      {"max_versions 1 is the lower bound", "store: {file: {max_versions: 1}}\nswarms: [{name: a}]\n", 1, "a"},
      {"max_versions 100 is the upper bound", "store: {file: {max_versions: 100}}\nswarms: [{name: a}]\n", 100, "a"},
      {"a quoted integer is still an integer", "store: {file: {max_versions: '7'}}\nswarms: [{name: a}]\n", 7, "a"},
      {"a 63-character name", "swarms: [{name: " + std::string(63, 'x') + "}]\n", 10, std::string(63, 'x')},
      {"a one-character name", "swarms: [{name: '7'}]\n", 10, "7"},
      {"digits and inner dashes", "swarms: [{name: 0-a--b-9}]\n", 10, "0-a--b-9"},
      {"an empty targets list", "swarms: [{name: a, targets: []}]\n", 10, "a"},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.reason);
    const Config config = parse_ok(c.yaml);
    EXPECT_EQ(config.store.file.max_versions, c.max_versions);
    ASSERT_EQ(config.swarms.size(), 1U);
    EXPECT_EQ(config.swarms[0].name, c.name);
  }
}

TEST(LoadConfig, ReadsTheFileAndNamesItInMessages) {
  const testing::TempDir dir;
  const auto path = dir / "keyd.yaml";
  testing::write_file(path, "swarms: [{name: a}]\n");
  const auto config = load_config(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->source, path.string());

  testing::write_file(path, "swarms: [{name: a}]\nextra: 1\n");
  const auto bad = load_config(path);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, path.string() +
                                     ":2:1: unknown key 'extra' (expected: store, audit, kubernetes, swarms, "
                                     "sync_interval, concurrency, server, leader_election)");
}

TEST(LoadConfig, MissingFileIsAConfigError) {
  const testing::TempDir dir;
  const auto path = dir / "nope.yaml";
  const auto config = load_config(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(config.error().message, "config file " + path.string() + ": not found");
}

// Relative paths in a config resolve against the config file's directory (issue 19): run from
// elsewhere, `keyd rotate --config /x/local.yaml` used to create a second store, with a new master
// key, under the working directory. Every file and directory key, defaults included; absolute paths
// and unset ones stay; a swarm's store path is not a file path.
TEST(LoadConfig, RelativePathsResolveAgainstTheConfigsDirectory) {
  const testing::TempDir dir;
  std::filesystem::create_directories(dir / "conf");
  std::filesystem::create_directories(dir / "work");
  const auto path = dir / "conf" / "keyd.yaml";
  testing::write_file(path, R"(store:
  backend: file
  file: {dir: state/store, master_key_file: ../keys/master.key}
  vault:
    auth: {method: approle, role_id_file: role-id, secret_id_file: /abs/secret-id}
    tls: {ca_file: ca.pem, client_cert_file: tls/c.pem, client_key_file: tls/k.pem}
  mcp: {command: [node, server.js], env_files: {VAULT_TOKEN: vault-token}}
  daemon: {url: "https://keyd:8750", token_file: token, ca_file: ca.pem}
kubernetes: {kubeconfig: kubeconfig}
server:
  auth: {tokens_file: tokens}
  tls: {cert_file: server.crt, key_file: server.key}
leader_election: {lock_file: run/daemon.lock}
swarms:
  - name: a
    path: a/swarm-key
    targets:
      - {type: file, path: ipfs/swarm.key}
      - {type: file, path: /data/ipfs/swarm.key}
)");
  const auto config = load_config(path, dir / "work");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const std::string conf = (dir / "conf").string();
  EXPECT_EQ(config->store.file.dir, conf + "/state/store");
  EXPECT_EQ(config->store.file.master_key_file, (dir / "keys/master.key").string()) << "normalised";
  EXPECT_EQ(config->store.vault.auth.role_id_file, conf + "/role-id");
  EXPECT_EQ(config->store.vault.auth.secret_id_file, "/abs/secret-id");
  EXPECT_EQ(config->store.vault.auth.token_file, "") << "unset stays unset ($VAULT_TOKEN)";
  EXPECT_EQ(config->store.vault.auth.jwt_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(config->store.vault.tls.ca_file, conf + "/ca.pem");
  EXPECT_EQ(config->store.vault.tls.client_cert_file, conf + "/tls/c.pem");
  EXPECT_EQ(config->store.vault.tls.client_key_file, conf + "/tls/k.pem");
  EXPECT_EQ(config->store.mcp.command, (std::vector<std::string>{"node", "server.js"})) << "a command is not a path";
  ASSERT_EQ(config->store.mcp.env_files.size(), 1U);
  EXPECT_EQ(config->store.mcp.env_files[0].second, conf + "/vault-token");
  EXPECT_EQ(config->store.daemon.token_file, conf + "/token");
  EXPECT_EQ(config->store.daemon.ca_file, conf + "/ca.pem");
  EXPECT_EQ(config->kubernetes.kubeconfig, conf + "/kubeconfig");
  EXPECT_EQ(config->server.auth.tokens_file, conf + "/tokens");
  ASSERT_TRUE(config->server.tls);
  EXPECT_EQ(config->server.tls->cert_file, conf + "/server.crt");
  EXPECT_EQ(config->server.tls->key_file, conf + "/server.key");
  EXPECT_EQ(config->leader_election.lock_file, conf + "/run/daemon.lock");
  EXPECT_EQ(config->audit.file, conf + "/.keyd/audit.jsonl") << "defaults too";
  EXPECT_EQ(config->swarms[0].path, "a/swarm-key") << "a store path, not a file";
  EXPECT_EQ(config->swarms[0].targets[0].path, conf + "/ipfs/swarm.key");
  EXPECT_EQ(config->swarms[0].targets[1].path, "/data/ipfs/swarm.key");
}

// What the change must not do: silently start a second store (or deliver to a second file) when an
// existing setup kept its state under the working directory. When a relative path names something
// that exists under the working directory but not yet under the config's directory, loading
// refuses and names both; once the state is moved (or the path made absolute), it loads.
TEST(LoadConfig, StateLeftUnderTheWorkingDirectoryIsRefusedNotReplaced) {
  const testing::TempDir dir;
  std::filesystem::create_directories(dir / "conf");
  std::filesystem::create_directories(dir / "work" / ".keyd" / "store");
  testing::write_file(dir / "work" / ".keyd" / "ipfs" / "swarm.key", "x");
  const auto path = dir / "conf" / "keyd.yaml";
  testing::write_file(path, "swarms:\n  - name: a\n    targets: [{type: file, path: .keyd/ipfs/swarm.key}]\n");
  const auto refused = load_config(path, dir / "work");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_config);
  const std::string& m = refused.error().message;
  for (const std::string& part :
       {path.string(), std::string("store.file.dir '.keyd/store'"), (dir / "conf/.keyd/store").string(),
        (dir / "work/.keyd/store").string(), std::string("swarms[0].targets[0].path '.keyd/ipfs/swarm.key'"),
        std::string("relative paths in a config resolve against its directory")}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in: " << m;
  }
  EXPECT_EQ(m.find("audit.file"), std::string::npos) << "nothing exists there: no complaint\n" << m;

  // Run from the config's own directory: both readings agree, nothing to refuse.
  EXPECT_TRUE(load_config(path, dir / "conf"));
  // Moved: the config's directory has the state now.
  std::filesystem::rename(dir / "work" / ".keyd", dir / "conf" / ".keyd");
  const auto moved = load_config(path, dir / "work");
  ASSERT_TRUE(moved.has_value()) << moved.error().message;
  EXPECT_EQ(moved->store.file.dir, (dir / "conf/.keyd/store").string());
}

struct SelectCase {
  std::string reason;
  std::vector<std::string> swarms;
  std::string name;
  std::string expected_name;   // when found
  std::string expected_error;  // otherwise
};

TEST(SelectSwarm, Cases) {
  const std::vector<SelectCase> cases{
      {"a name picks that swarm", {"a", "b"}, "b", "b", ""},
      {"no name with one swarm picks it", {"only"}, "", "only", ""},
      {"a name with one swarm must still match", {"only"}, "other", "", "no swarm named 'other' (configured: only)"},
      {"no name with several swarms lists them", {"a", "b"}, "", "", "several swarms configured, choose one: a, b"},
      {"an unknown name lists the configured ones", {"a", "b"}, "x", "", "no swarm named 'x' (configured: a, b)"},
  };
  for (const SelectCase& c : cases) {
    SCOPED_TRACE(c.reason);
    Config config;
    for (const auto& name : c.swarms) config.swarms.push_back(SwarmConfig{name, name + "/swarm-key", {}, {}});
    const auto swarm = select_swarm(config, c.name);
    if (c.expected_error.empty()) {
      ASSERT_TRUE(swarm.has_value()) << swarm.error().message;
      EXPECT_EQ((*swarm)->name, c.expected_name);
    } else {
      ASSERT_FALSE(swarm.has_value());
      EXPECT_EQ(swarm.error().code, ErrorCode::invalid_config);
      EXPECT_EQ(swarm.error().message, c.expected_error);
    }
  }
}

TEST(SelectSwarm, ReturnsAPointerIntoTheConfig) {
  const Config config = parse_ok("swarms: [{name: a}, {name: b}]\n");
  const auto swarm = select_swarm(config, "a");
  ASSERT_TRUE(swarm.has_value());
  EXPECT_EQ(*swarm, &config.swarms[0]);
}

}  // namespace
}  // namespace keyd::config
