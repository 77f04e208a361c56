// The keyd binary with store.backend mcp against the poly-secret-mcp test double (the real MCP SDK
// server) and a Vault double: rotate, sync, fetch, history, import, the limits of a server without
// versioned reads, cross-backend reads both ways, configuration errors, and environment isolation.
#include "mcp_cli_support.hpp"

namespace keyd::testing {
namespace {

using nlohmann::json;

TEST_F(McpCli, RotateSyncFetchHistoryImportThroughMcp) {
  const json first = ok_json({"rotate"});
  EXPECT_EQ(first["version"], 1);
  EXPECT_EQ(first["targets"][0]["outcome"], "changed");
  expect_server_gone();
  const json second = ok_json({"rotate"});
  EXPECT_EQ(second["version"], 2);

  // Vault holds what the Vault backend would have written.
  const json v2 = stored_data();
  EXPECT_EQ(v2["metadata"]["version"], 2);
  EXPECT_EQ(v2["data"]["fingerprint"], second["fingerprint"]);
  EXPECT_EQ(v2["data"]["reason"], "rotate");
  EXPECT_FALSE(v2["data"]["issued_by"].get<std::string>().empty());
  EXPECT_EQ(v2["data"]["swarm.key"].get<std::string>(), read_file(target()));
  EXPECT_EQ(v2["data"].size(), 5U);  // and the audit anchor of the intent entry (issue 14 item 5)
  EXPECT_FALSE(v2["data"].value("audit_anchor", "").empty());

  ok({"fetch", "--out", "current.key"});
  EXPECT_EQ(read_file(dir / "current.key"), read_file(target()));
  ok({"fetch", "--version", "2", "--out", "v2.key"});  // the current version, by number
  EXPECT_EQ(read_file(dir / "v2.key"), read_file(target()));
  std::filesystem::remove(target());
  EXPECT_EQ(ok_json({"sync"})["targets"][0]["outcome"], "changed");

  ASSERT_EQ(run_keyd({"generate", "--out", "imported.key"}, dir.path()).exit_code, 0);
  EXPECT_EQ(ok_json({"import", "imported.key"})["version"], 3);
  EXPECT_EQ(read_file(target()), read_file(dir / "imported.key"));

  // History: every version with its time; past versions honestly marked as not readable here.
  const json history = ok_json({"history"});
  ASSERT_EQ(history.size(), 3U);
  EXPECT_TRUE(history[0]["unreadable"].get<bool>());
  EXPECT_EQ(history[0]["fingerprint"], "");
  EXPECT_FALSE(history[0]["created_time"].get<std::string>().empty());
  EXPECT_TRUE(history[1]["unreadable"].get<bool>());
  EXPECT_FALSE(history[2].contains("unreadable"));
  EXPECT_EQ(history[2]["reason"], "import");
  EXPECT_EQ(history[2]["fingerprint"], stored_data()["data"]["fingerprint"]);
  const auto text = ok({"history"});
  EXPECT_TRUE(has(text.out, "(not readable here)")) << text.out;
  ok({"audit", "verify"});
  expect_server_gone();
}

TEST_F(McpCli, PastVersionsCannotBeFetchedOrRolledBackToAndSaySo) {
  ok({"rotate"});
  ok({"rotate"});
  const auto fetch = keyd({"fetch", "--version", "1", "--out", "v1.key"});
  EXPECT_EQ(fetch.exit_code, 1);
  EXPECT_TRUE(has(fetch.err, "version 1 of secret/ipfs-overlay/swarm-key cannot be read through poly-secret-mcp"))
      << fetch.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "v1.key"));

  const std::string before = read_file(target());
  const auto rollback = keyd({"rollback", "--to-version", "1"});
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_TRUE(has(rollback.err, "no version argument")) << rollback.err;
  EXPECT_EQ(read_file(target()), before);
  EXPECT_EQ(stored_data()["metadata"]["version"], 2);
}

TEST_F(McpCli, CrossBackendReadsBothWays) {
  // Written through MCP, read by the Vault backend (every version, with fingerprints).
  const json via_mcp = ok_json({"rotate"});
  ok({"fetch", "--out", "by-vault.key"}, "vault.yaml");
  EXPECT_EQ(read_file(dir / "by-vault.key"), read_file(target()));
  const json vault_history = ok_json({"history"}, "vault.yaml");
  ASSERT_EQ(vault_history.size(), 1U);
  EXPECT_EQ(vault_history[0]["fingerprint"], via_mcp["fingerprint"]);

  // Written by the Vault backend (with check-and-set), read and rotated through MCP.
  const json via_vault = ok_json({"rotate"}, "vault.yaml");
  EXPECT_EQ(via_vault["version"], 2);
  ok({"fetch", "--out", "by-mcp.key"});
  EXPECT_EQ(read_file(dir / "by-mcp.key"), read_file(target()));
  EXPECT_EQ(ok_json({"rotate"})["version"], 3);
  ok({"fetch", "--version", "3", "--out", "v3.key"}, "vault.yaml");
  EXPECT_EQ(read_file(dir / "v3.key"), read_file(target()));
}

TEST_F(McpCli, ConfigurationErrorsStopBeforeAnythingStarts) {
  write_file(dir / "keyd.yaml", std::string("store:\n  backend: mcp\n") + k_swarms_yaml);
  auto r = keyd({"fetch", "--out", "k.key"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "store.mcp.command: required with backend mcp")) << r.err;

  write_config({}, "10s", "    inherit_env: [HOME]\n");
  std::string yaml = read_file(dir / "keyd.yaml");
  yaml.replace(yaml.find("    env:\n"), 9, "    env:\n      VAULT_TOKEN: hvs.inline-token-value\n");
  write_file(dir / "keyd.yaml", yaml);
  r = keyd({"fetch", "--out", "k.key"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "store.mcp.env.VAULT_TOKEN: looks like a secret")) << r.err;
  EXPECT_TRUE(has(r.err, "env_files")) << r.err;
  EXPECT_TRUE(has(r.err, "is already set by store.mcp.env")) << r.err;  // and in env_files too
  EXPECT_FALSE(has(r.err, "hvs.inline-token-value")) << r.err;

  write_config();
  std::filesystem::remove(mcp.token_file());
  r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "store.mcp.env_files.VAULT_TOKEN " + mcp.token_file().string() + ": not found")) << r.err;
  EXPECT_EQ(mcp.server_pid(), 0);  // no server was started
  EXPECT_FALSE(std::filesystem::exists(target()));
}

TEST_F(McpCli, TheServerSeesOnlyTheConfiguredEnvironment) {
  // A scripted server that records the names of the variables it got, then exits.
  write_file(dir / "script.json", R"([{"dump_env": "env-names.txt"}, {"exit": 0}])");
  write_file(dir / "keyd.yaml", "store:\n  backend: mcp\n  mcp:\n    command: [/usr/bin/python3, " +
                                    mcp_scripted_script() +
                                    ", script.json]\n"
                                    "    env: {VAULT_ADDR: \"http://127.0.0.1:1\", LANG: C.UTF-8}\n"
                                    "    env_files: {VAULT_TOKEN: " +
                                    mcp.token_file().string() +
                                    "}\n"
                                    "    inherit_env: [HOME, KEYD_TEST_NOT_SET]\n"
                                    "    timeout: 5s\n" +
                                    k_swarms_yaml);
  const auto r = keyd({"fetch", "--out", "k.key"}, "keyd.yaml",
                      {{"KEYD_TEST_CANARY", "canary-value"}, {"VAULT_ADDR", "http://canary"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "exited with status 0")) << r.err;
  EXPECT_EQ(read_file(dir / "env-names.txt"), "HOME\nLANG\nVAULT_ADDR\nVAULT_TOKEN\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "k.key"));
}

}  // namespace
}  // namespace keyd::testing
