// keyd config check (issue 19: `just deploy` refuses a configuration without a Kubernetes target):
// what it lists, what --require-target refuses, and that it touches nothing.
#include "cli_support.hpp"

#include <filesystem>

namespace keyd::testing {
namespace {

constexpr const char* k_kube_config = R"(store:
  backend: file
  file: {dir: .keyd/store}
audit: {file: .keyd/audit.jsonl}
swarms:
  - name: ipfs-overlay
    targets:
      - type: kubernetes
        namespace: ipfs-system
        secret: ipfs-swarm-key
        restart: [{kind: StatefulSet, name: ipfs}]
)";

using ConfigCheckCli = KeydCli;

TEST_F(ConfigCheckCli, ListsTheStoreTheAuditTrailAndEverySwarmsTargetsAndTouchesNothing) {
  const auto r = ok({"config", "check"});
  EXPECT_NE(r.out.find("keyd.yaml: valid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("store: file (dir " + (dir / ".keyd/store").string() + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("swarm ipfs-overlay (store path ipfs-overlay/swarm-key): 1 target(s)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  file " + (dir / ".keyd/ipfs/swarm.key").string()), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / ".keyd")) << "a check created the store's directory";
}

TEST_F(ConfigCheckCli, RequireTargetRefusesAConfigWithoutOneAndNamesWhatItHas) {
  const auto r = keyd({"config", "check", "--config", "keyd.yaml", "--require-target", "kubernetes"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("keyd.yaml: no swarm has a kubernetes target"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("file " + (dir / ".keyd/ipfs/swarm.key").string()), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(ConfigCheckCli, RequireTargetAcceptsAConfigWithOneAndJsonListsIt) {
  write_file(dir / "kube.yaml", k_kube_config);
  const auto r = keyd({"config", "check", "-c", "kube.yaml", "--require-target", "kubernetes", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["store"]["backend"], "file");
  ASSERT_EQ(j["swarms"].size(), 1U);
  const auto& target = j["swarms"][0]["targets"][0];
  EXPECT_EQ(target["type"], "kubernetes");
  EXPECT_EQ(target["namespace"], "ipfs-system");
  EXPECT_EQ(target["secret"], "ipfs-swarm-key");
  EXPECT_EQ(target["restart"][0]["kind"], "StatefulSet");
  EXPECT_EQ(target["restart"][0]["name"], "ipfs");
  EXPECT_EQ(keyd({"config", "check", "-c", "kube.yaml", "--require-target", "file"}).exit_code, 2);
}

TEST_F(ConfigCheckCli, AnInvalidConfigIsAConfigurationErrorWithItsPlace) {
  write_file(dir / "bad.yaml", "store:\n  backend: s3\n");
  const auto r = keyd({"config", "check", "--config", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:2:"), std::string::npos) << r.err;
  EXPECT_EQ(keyd({"config", "check"}).exit_code, 2) << "no --config and no KEYD_CONFIG";
  EXPECT_EQ(keyd({"config"}).exit_code, 2) << "config without a subcommand";
}

}  // namespace
}  // namespace keyd::testing

namespace keyd::testing {
namespace {

// Issue 19: a read-only command against an empty store names the directory it looked in, so a
// config resolved somewhere unexpected shows at once.
TEST_F(KeydCli, AReadOfAnEmptyFileStoreNamesTheDirectoryItLookedIn) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"history"}, std::vector<std::string>{"fetch", "--out", "k"}}) {
    auto args = command;
    args.insert(args.end(), {"--config", "keyd.yaml"});
    const auto r = keyd(args);
    EXPECT_EQ(r.exit_code, 1) << command[0];
    EXPECT_NE(r.err.find("file store " + (dir / ".keyd/store").string() + ", path ipfs-overlay/swarm-key: "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("no data at store path ipfs-overlay/swarm-key"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("keyd rotate issues the first key"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace keyd::testing
