// policies/keyd.hcl and policies/keyd-reader.hcl, loaded unchanged into the Vault double: a token
// with only keyd.hcl rotates; one with keyd-reader.hcl fetches and reads history but cannot write.
#include "vault_cli_support.hpp"

namespace keyd::testing {
namespace {

TEST_F(VaultCli, KeydPolicyIsEnoughToRotateImportAndRollback) {
  load_policy("keyd");
  const auto e = token_env(policy_token({"keyd"}));
  EXPECT_EQ(ok_json({"rotate"}, e)["version"], 1);  // create on data, then the managed-by marker
  EXPECT_EQ(ok_json({"rotate"}, e)["version"], 2);  // update with cas
  ASSERT_EQ(run_keyd({"generate", "--out", "imported.key"}, dir.path()).exit_code, 0);
  EXPECT_EQ(ok_json({"import", "imported.key"}, e)["version"], 3);
  EXPECT_EQ(ok_json({"rollback", "--to-version", "1"}, e)["version"], 4);
  ok({"sync"}, e);
  EXPECT_EQ(ok_json({"history"}, e).size(), 4U);
  ok({"fetch", "--version", "2", "--out", "v2.key"}, e);

  // The marker was written (metadata "update" is granted), and nothing was denied on the way.
  EXPECT_EQ(stored_metadata()["custom_metadata"]["managed-by"], "keyd");
  for (const auto& r : vault.requests()) {
    if (r["path"].get<std::string>().starts_with("/v1/secret/")) {
      EXPECT_NE(r["status"], 403) << r.dump();
    }
  }
}

TEST_F(VaultCli, KeydPolicyCannotTouchOtherPaths) {
  load_policy("keyd");
  const std::string token = policy_token({"keyd"});
  EXPECT_EQ(vault.api("POST", "secret/data/other/swarm-key", {{"data", {{"a", "b"}}}}, token).status, 403);
  ok({"rotate"}, token_env(token));
  EXPECT_EQ(vault.api("POST", "secret/delete/ipfs-overlay/swarm-key", {{"versions", {1}}}, token).status, 403);
  EXPECT_EQ(vault.api("POST", "secret/destroy/ipfs-overlay/swarm-key", {{"versions", {1}}}, token).status, 403);
  EXPECT_EQ(vault.api("DELETE", "secret/metadata/ipfs-overlay/swarm-key", nullptr, token).status, 403);
  EXPECT_EQ(vault.api("LIST", "secret/metadata/ipfs-overlay/", nullptr, token).status, 403);
}

TEST_F(VaultCli, ReaderPolicyFetchesButCannotRotate) {
  load_policy("keyd-reader");
  ok({"rotate"}, token_env(vault.root_token()));
  ok({"rotate"}, token_env(vault.root_token()));
  const auto reader = token_env(policy_token({"keyd-reader"}));

  ok({"fetch", "--out", "current.key"}, reader);
  EXPECT_EQ(read_file(dir / "current.key"), stored_data()["data"]["swarm.key"].get<std::string>());
  ok({"fetch", "--version", "1", "--out", "v1.key"}, reader);
  EXPECT_EQ(ok_json({"history"}, reader).size(), 2U);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rotate"}, std::vector<std::string>{"rollback", "--to-version", "1"}}) {
    const auto denied = keyd(args, reader);
    EXPECT_EQ(denied.exit_code, 1) << args[0] << ": " << denied.out << denied.err;
    EXPECT_NE(denied.err.find("403"), std::string::npos) << denied.err;
    EXPECT_NE(denied.err.find("secret/data/ipfs-overlay/swarm-key"), std::string::npos) << denied.err;
  }
  EXPECT_EQ(stored_metadata()["current_version"], 2);
}

}  // namespace
}  // namespace keyd::testing
