// The cli runtime (keyd/cli/runtime.hpp) in-process: built once from a loaded configuration, the
// store login's effect on the audit actor chosen at construction, swarms built on it; and the
// daemon's preparation from a configuration loaded once (keyd/cli/daemon_prepare.hpp).
#include "../../../keyd/cli/runtime.hpp"
#include "../../../keyd/cli/daemon_prepare.hpp"
#include "support/log_capture.hpp"
#include "vault_cli_support.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace keyd::testing {
namespace {

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    vault.control(
        "POST", "policies",
        {{"name", "keyd"}, {"hcl", read_file(std::filesystem::path(KEYD_SOURCE_DIR) / "policies" / "keyd.hcl")}});
    vault.control("POST", "kubernetes/roles",
                  {{"name", "keyd"},
                   {"bound_service_account_names", {"keyd"}},
                   {"bound_service_account_namespaces", {"ipfs"}},
                   {"policies", {"keyd"}}});
    write_file(dir / "sa-token", service_account_jwt("keyd", "ipfs"));
  }

  // A vault store with Kubernetes auth and one swarm with a file target; `source` names the file
  // the text is said to come from (it need not exist: nothing is read again).
  config::Config vault_config(const std::string& source = "keyd.yaml") {
    const std::string yaml =
        "store:\n  backend: vault\n  vault:\n    address: " + vault.address() +
        "\n    mount: secret\n    auth: {method: kubernetes, role: keyd, jwt_file: " + (dir / "sa-token").string() +
        "}\naudit: {file: " + (dir / "audit.jsonl").string() +
        "}\nleader_election: {lock_file: " + (dir / "daemon.lock").string() +
        "}\nswarms:\n  - name: ipfs-overlay\n    path: ipfs-overlay/swarm-key\n    targets:\n"
        "      - {type: file, path: " +
        (dir / "swarm.key").string() + "}\n";
    auto parsed = config::parse_config(yaml, (dir / source).string());
    EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
    return parsed ? std::move(*parsed) : config::Config{};
  }

  VaultDouble vault;
  TempDir dir;
};

TEST_F(RuntimeTest, AStoreLoginIsAppendedToTheActorWhenChosen) {
  auto runtime = cli::Runtime::make(vault_config(), cli::Actor{"alice@host", cli::StoreLogin::appended});
  ASSERT_TRUE(runtime.has_value()) << runtime.error().message;
  app::Context& context = (*runtime)->context();
  EXPECT_EQ(context.actor, "alice@host");  // no login before the store is used
  auto swarm = cli::build_swarm((*runtime)->config().swarms.front(), **runtime);
  ASSERT_TRUE(swarm.has_value()) << swarm.error().message;
  auto rotated = app::rotate(context, *swarm);
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message;
  EXPECT_TRUE(std::regex_match(context.actor, std::regex(R"(alice@host vault:kubernetes/keyd sa=ipfs/keyd.*)")))
      << context.actor;
}

TEST_F(RuntimeTest, AStoreLoginLeavesTheActorAloneWhenIgnored) {
  auto runtime = cli::Runtime::make(vault_config(), cli::Actor{"alice@host", cli::StoreLogin::ignored});
  ASSERT_TRUE(runtime.has_value()) << runtime.error().message;
  app::Context& context = (*runtime)->context();
  auto swarm = cli::build_swarm((*runtime)->config().swarms.front(), **runtime);
  ASSERT_TRUE(swarm.has_value()) << swarm.error().message;
  auto rotated = app::rotate(context, *swarm);
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message;
  EXPECT_EQ(context.actor, "alice@host");
  int logins = 0;
  for (const auto& r : vault.requests()) logins += r["path"] == "/v1/auth/kubernetes/login" ? 1 : 0;
  EXPECT_EQ(logins, 1);  // it did log in
}

TEST_F(RuntimeTest, SwarmsAreBuiltOnTheOneRuntimeWithTheirTargets) {
  auto runtime = cli::Runtime::make(vault_config(), cli::Actor{"alice"});
  ASSERT_TRUE(runtime.has_value()) << runtime.error().message;
  auto swarm = cli::build_swarm((*runtime)->config().swarms.front(), **runtime);
  ASSERT_TRUE(swarm.has_value()) << swarm.error().message;
  EXPECT_EQ(swarm->name, "ipfs-overlay");
  EXPECT_EQ(swarm->path, "ipfs-overlay/swarm-key");
  ASSERT_EQ(swarm->targets.size(), 1U);
  const double r = (*runtime)->random().uniform();
  EXPECT_GE(r, 0.0);
  EXPECT_LT(r, 1.0);
}

TEST_F(RuntimeTest, TheDaemonPreparesFromTheLoadedConfigWithoutReadingItAgain) {
  const std::string path = (dir / "never-written.yaml").string();
  auto prepared = cli::prepare_daemon(vault_config("never-written.yaml"), path, "127.0.0.1:0");
  ASSERT_TRUE(prepared.has_value()) << prepared.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_EQ(prepared->swarms.size(), 1U);
  EXPECT_EQ(prepared->swarms.front().swarm.targets.size(), 1U);
  EXPECT_EQ(prepared->kube, nullptr);  // nothing uses Kubernetes: the file lock elects
  EXPECT_EQ(prepared->runtime->context().actor, cli::os_actor());
}

// Where leadership lives is never silent: a lock file the daemon does not use (it has Kubernetes, so
// it leads through a Lease) is named with a warning, and so is a Lease namespace nobody chose.
TEST_F(RuntimeTest, ADaemonWithKubernetesSaysItsLockFileIsUnusedAndWhereItsLeaseIs) {
  write_file(dir / "kubeconfig",
             "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
             "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
             "users: [{name: u, user: {token: not-a-real-token}}]\n"
             "contexts: [{name: c, context: {cluster: k, user: u, namespace: overlay}}]\n");
  config::Config cfg = vault_config();
  cfg.kubernetes.kubeconfig = (dir / "kubeconfig").string();
  {
    LogCapture logs;
    auto prepared = cli::prepare_daemon(cfg, (dir / "keyd.yaml").string(), "127.0.0.1:0");
    ASSERT_TRUE(prepared.has_value()) << prepared.error().message;
    EXPECT_EQ(prepared->elector->describe(), "lease overlay/keyd");
    EXPECT_NE(logs.text().find("leader_election.lock_file (" + (dir / "daemon.lock").string() +
                               ") is not used: this daemon uses Kubernetes"),
              std::string::npos)
        << logs.text();
    EXPECT_NE(logs.text().find("leader_election.lease_namespace is not set; leading through lease overlay/keyd"),
              std::string::npos)
        << logs.text();
  }
  cfg.leader_election.lock_file_set = false;
  cfg.leader_election.lease_namespace = "keyd-system";
  LogCapture logs;
  auto prepared = cli::prepare_daemon(cfg, (dir / "keyd.yaml").string(), "127.0.0.1:0");
  ASSERT_TRUE(prepared.has_value()) << prepared.error().message;
  EXPECT_EQ(prepared->elector->describe(), "lease keyd-system/keyd");
  EXPECT_EQ(logs.text().find("leader_election"), std::string::npos) << "chosen explicitly: nothing to say";
}

}  // namespace
}  // namespace keyd::testing
