// The keyd binary against the Vault test double: every command with each auth method, the
// environment layered under the config, configuration errors (exit 2), deleted versions.
#include "vault_cli_support.hpp"

#include <regex>

namespace keyd::testing {
namespace {

using nlohmann::json;

TEST_F(VaultCli, TokenFromEnvironmentRotateFetchHistoryImportRollback) {
  const auto e = token_env(vault.root_token());
  EXPECT_EQ(ok_json({"rotate"}, e)["version"], 1);
  const json second = ok_json({"rotate"}, e);
  EXPECT_EQ(second["version"], 2);
  EXPECT_EQ(second["targets"][0]["outcome"], "changed");

  // What Vault holds is what Vault Agent templates and External Secrets consume.
  const json v2 = stored_data();
  EXPECT_EQ(v2["metadata"]["version"], 2);
  EXPECT_EQ(v2["data"]["fingerprint"], second["fingerprint"]);
  EXPECT_EQ(v2["data"]["reason"], "rotate");
  EXPECT_FALSE(v2["data"]["issued_by"].get<std::string>().empty());
  EXPECT_EQ(v2["data"]["swarm.key"].get<std::string>(), read_file(dir / ".keyd/ipfs/swarm.key"));
  EXPECT_EQ(stored_metadata()["custom_metadata"]["managed-by"], "keyd");

  ok({"fetch", "--version", "1", "--out", "v1.key"}, e);
  EXPECT_EQ(read_file(dir / "v1.key"), stored_data(1)["data"]["swarm.key"].get<std::string>());

  ASSERT_EQ(run_keyd({"generate", "--out", "imported.key"}, dir.path()).exit_code, 0);
  const json imported = ok_json({"import", "imported.key"}, e);
  EXPECT_EQ(imported["version"], 3);
  EXPECT_EQ(stored_data()["data"]["swarm.key"].get<std::string>(), read_file(dir / "imported.key"));

  const json rolled = ok_json({"rollback", "--to-version", "1"}, e);
  EXPECT_EQ(rolled["version"], 4);
  EXPECT_EQ(rolled["fingerprint"], stored_data(1)["data"]["fingerprint"]);
  EXPECT_EQ(read_file(dir / ".keyd/ipfs/swarm.key"), read_file(dir / "v1.key"));

  const json history = ok_json({"history"}, e);
  ASSERT_EQ(history.size(), 4U);
  std::vector<std::string> reasons;
  for (const auto& row : history) reasons.push_back(row["reason"].get<std::string>());
  EXPECT_EQ(reasons, (std::vector<std::string>{"rotate", "rotate", "import", "rollback"}));

  ok({"fetch", "--out", "current.key"}, e);
  EXPECT_EQ(read_file(dir / "current.key"), read_file(dir / "v1.key"));
  ok({"audit", "verify"}, e);

  // Every request carried the token header (never Authorization) and X-Vault-Request.
  for (const auto& r : vault.requests()) {
    EXPECT_TRUE(r["x_vault_request"].get<bool>()) << r.dump();
    EXPECT_EQ(r["auth"], "X-Vault-Token") << r.dump();
  }
}

TEST_F(VaultCli, TokenFileWinsOverVaultTokenAndIsTrimmed) {
  write_file(dir / "vault-token", "\n  " + vault.root_token() + " \n\n");
  write_config("    auth: {method: token, token_file: vault-token}\n");
  const auto e = token_env("hvs.not-a-valid-token");
  EXPECT_EQ(ok_json({"rotate"}, e)["version"], 1);
  ok({"fetch", "--out", "k.key"}, e);
  EXPECT_EQ(ok_json({"history"}, e).size(), 1U);
}

TEST_F(VaultCli, TokenFileProblemsNameTheFileNeverTheContent) {
  write_config("    auth: {token_file: vault-token}\n");
  const auto missing = keyd({"fetch", "--out", "k.key"}, env());
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("store.vault.auth.token_file " + (dir / "vault-token").string() + ": not found"),
            std::string::npos)
      << missing.err;

  write_file(dir / "vault-token", " \n");
  const auto empty = keyd({"fetch", "--out", "k.key"}, env());
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("vault-token is empty"), std::string::npos) << empty.err;

  write_file(dir / "vault-token", "hvs.first-half\nhvs.second-half\n");
  const auto two_lines = keyd({"fetch", "--out", "k.key"}, env());
  EXPECT_EQ(two_lines.exit_code, 2);
  EXPECT_NE(two_lines.err.find("vault-token must hold one value"), std::string::npos) << two_lines.err;
  EXPECT_EQ(two_lines.err.find("half"), std::string::npos) << two_lines.err;
}

TEST_F(VaultCli, AppRoleLoginIgnoresVaultToken) {
  load_policy("keyd");
  const json role = vault.control("POST", "approle/roles", {{"name", "keyd"}, {"policies", {"keyd"}}});
  write_file(dir / "role-id", role["role_id"].get<std::string>() + "\n");
  write_file(dir / "secret-id", role["secret_id"].get<std::string>() + "\n");
  write_config("    auth:\n      method: approle\n      role_id_file: role-id\n      secret_id_file: secret-id\n");
  const auto e = token_env("hvs.not-a-valid-token");  // only for method token
  EXPECT_EQ(ok_json({"rotate"}, e)["version"], 1);
  ok({"fetch", "--out", "k.key"}, e);
  EXPECT_EQ(ok_json({"history"}, e).size(), 1U);
  int logins = 0;
  for (const auto& r : vault.requests()) logins += r["path"] == "/v1/auth/approle/login" ? 1 : 0;
  EXPECT_EQ(logins, 3);  // one per keyd process
}

TEST_F(VaultCli, KubernetesLoginWithTheServiceAccountToken) {
  load_policy("keyd");
  vault.control("POST", "kubernetes/roles",
                {{"name", "keyd"},
                 {"bound_service_account_names", {"keyd"}},
                 {"bound_service_account_namespaces", {"ipfs"}},
                 {"policies", {"keyd"}}});
  write_file(dir / "sa-token", service_account_jwt("keyd", "ipfs"));
  write_config("    auth: {method: kubernetes, role: keyd, jwt_file: sa-token}\n");
  EXPECT_EQ(ok_json({"rotate"}, env())["version"], 1);
  ok({"fetch", "--out", "k.key"}, env());
  EXPECT_EQ(ok_json({"history"}, env()).size(), 1U);
  // The audit trail names who Vault says keyd was, beside the OS user: role and service account.
  const std::string audit = read_file(dir / ".keyd" / "audit.jsonl");
  EXPECT_TRUE(std::regex_search(
      audit,
      std::regex(R"("actor":"[^" ]+ vault:kubernetes/keyd sa=ipfs/keyd entity=[0-9a-f-]{36}","action":"rotate")")))
      << audit;
  EXPECT_TRUE(std::regex_search(
      audit, std::regex(R"("actor":"[^" ]+ vault:kubernetes/keyd sa=ipfs/keyd[^"]*","action":"fetch")")))
      << audit;

  // Another service account is refused by the role: unauthorized, exit 1, nothing written.
  write_file(dir / "sa-token", service_account_jwt("intruder", "ipfs"));
  const auto refused = keyd({"rotate"}, env());
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("403"), std::string::npos) << refused.err;
  EXPECT_EQ(stored_metadata()["current_version"], 1);
}

TEST_F(VaultCli, NamespaceFromEnvironmentUnlessTheConfigSaysOtherwise) {
  auto e = token_env(vault.root_token());
  e["VAULT_NAMESPACE"] = "team-a";
  ok({"rotate"}, e);
  EXPECT_EQ(vault.requests().back()["namespace"], "team-a");
  EXPECT_EQ(vault.api("GET", k_swarm_data_path).status, 404);  // the root namespace is untouched

  write_config("    namespace: ''\n");
  vault.clear_requests();
  ok({"rotate"}, e);
  const json last = vault.requests().back();
  EXPECT_TRUE(last["namespace"].is_null() || last["namespace"] == "") << last.dump();
  EXPECT_EQ(stored_data()["metadata"]["version"], 1);
}

TEST_F(VaultCli, ConfigurationErrorsExitWithTwoBeforeAnyRequest) {
  const std::map<std::string, std::string> no_addr{{"VAULT_TOKEN", vault.root_token()}};
  const auto missing = keyd({"fetch", "--out", "k.key"}, no_addr);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("store.vault.address is not set and VAULT_ADDR is empty"), std::string::npos)
      << missing.err;

  const auto plain_http = keyd({"rotate"}, {{"VAULT_ADDR", "http://vault.example:8200"}, {"VAULT_TOKEN", "t"}});
  EXPECT_EQ(plain_http.exit_code, 2);
  EXPECT_NE(plain_http.err.find("plain http"), std::string::npos) << plain_http.err;

  write_config("    address: http://10.1.2.3:8200\n");
  const auto from_config = keyd({"rotate"}, token_env(vault.root_token()));
  EXPECT_EQ(from_config.exit_code, 2);
  EXPECT_NE(from_config.err.find("http://10.1.2.3:8200"), std::string::npos) << from_config.err;

  write_config("");
  const auto no_token = keyd({"rotate"}, env());
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_NE(no_token.err.find("no Vault token"), std::string::npos) << no_token.err;

  const auto bad_skip = keyd({"rotate"}, env({{"VAULT_TOKEN", "t"}, {"VAULT_SKIP_VERIFY", "maybe"}}));
  EXPECT_EQ(bad_skip.exit_code, 2);
  EXPECT_NE(bad_skip.err.find("VAULT_SKIP_VERIFY: expected true or false, got 'maybe'"), std::string::npos)
      << bad_skip.err;

  EXPECT_TRUE(vault.requests().empty()) << vault.requests().dump();
}

TEST_F(VaultCli, DeletedAndDestroyedVersionsAreReportedAsSuch) {
  const auto e = token_env(vault.root_token());
  for (int i = 0; i < 3; ++i) ok({"rotate"}, e);
  ASSERT_EQ(vault.api("POST", "secret/delete/ipfs-overlay/swarm-key", {{"versions", {1}}}).status, 204);
  ASSERT_EQ(vault.api("POST", "secret/destroy/ipfs-overlay/swarm-key", {{"versions", {2}}}).status, 204);

  const auto deleted = keyd({"fetch", "--version", "1", "--out", "v1.key"}, e);
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.err.find("deleted"), std::string::npos) << deleted.err;
  const auto destroyed = keyd({"fetch", "--version", "2", "--out", "v2.key"}, e);
  EXPECT_EQ(destroyed.exit_code, 1);
  EXPECT_NE(destroyed.err.find("destroyed"), std::string::npos) << destroyed.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "v1.key"));

  const json history = ok_json({"history"}, e);
  ASSERT_EQ(history.size(), 3U);
  EXPECT_EQ(history[0]["deleted"], true);
  EXPECT_EQ(history[1]["destroyed"], true);
  EXPECT_FALSE(history[2].contains("deleted"));
  ok({"fetch", "--out", "current.key"}, e);
}

}  // namespace
}  // namespace keyd::testing
