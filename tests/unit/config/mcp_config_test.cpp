// store.mcp: the values parsed, the defaults, and each error with its exact position.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace keyd::config {
namespace {

std::string with_mcp(const std::string& mcp_lines) {
  return "store:\n  backend: mcp\n  mcp:\n" + mcp_lines + "swarms: [{name: a}]\n";
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(McpConfig, ParsesEveryKey) {
  const auto cfg = parse_config(with_mcp("    command: [deno, run, --allow-run, /opt/poly-secret-mcp/main.js]\n"
                                         "    env: {VAULT_ADDR: \"https://vault:8200\", VAULT_NAMESPACE: \"\"}\n"
                                         "    env_files: {VAULT_TOKEN: /etc/keyd/vault-token}\n"
                                         "    inherit_env: [HOME, PATH]\n"
                                         "    mount: kv/team\n"
                                         "    timeout: 2s\n"),
                                "t.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const McpStoreConfig& m = cfg->store.mcp;
  EXPECT_EQ(to_string(cfg->store.backend), "mcp");
  EXPECT_EQ(m.command, (std::vector<std::string>{"deno", "run", "--allow-run", "/opt/poly-secret-mcp/main.js"}));
  EXPECT_EQ(m.env, (Pairs{{"VAULT_ADDR", "https://vault:8200"}, {"VAULT_NAMESPACE", ""}}));
  EXPECT_EQ(m.env_files, (Pairs{{"VAULT_TOKEN", "/etc/keyd/vault-token"}}));
  EXPECT_EQ(m.inherit_env, (std::vector<std::string>{"HOME", "PATH"}));
  EXPECT_EQ(m.mount, "kv/team");
  EXPECT_EQ(m.timeout, std::chrono::seconds(2));
}

TEST(McpConfig, Defaults) {
  const auto cfg = parse_config(with_mcp("    command: [poly-secret-mcp]\n"), "t.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->store.mcp.mount, "secret");
  EXPECT_EQ(cfg->store.mcp.timeout, std::chrono::seconds(10));
  EXPECT_TRUE(cfg->store.mcp.env.empty());
  EXPECT_TRUE(cfg->store.mcp.inherit_env.empty());
  // The example configuration parses.
  EXPECT_TRUE(load_config(std::string(KEYD_SOURCE_DIR) + "/configs/mcp.yaml"));
}

struct ErrorCase {
  std::string reason;
  std::string mcp_lines;  // they start at line 4
  std::string expected;
};

TEST(McpConfig, ErrorsNameTheKeyAndPosition) {
  const std::vector<ErrorCase> cases{
      {"an empty command", "    command: []\n",
       "t.yaml:4:14: store.mcp.command: the command needs at least the program"},
      {"a command that is not a list", "    command: deno run main.js\n",
       "t.yaml:4:14: store.mcp.command: expected a list, got 'deno run main.js'"},
      {"an empty argument", "    command: [deno, \"\"]\n", "t.yaml:4:21: store.mcp.command[1]: must not be empty"},
      {"a token inline", "    env: {VAULT_TOKEN: hvs.x}\n",
       "t.yaml:4:11: store.mcp.env.VAULT_TOKEN: looks like a secret; put it in a file and name the file under "
       "store.mcp.env_files"},
      {"secret words in any case", "    env: {my_api_Key: x}\n", "store.mcp.env.my_api_Key: looks like a secret"},
      {"a password", "    env: {DB_PASSWORD: x}\n", "store.mcp.env.DB_PASSWORD: looks like a secret"},
      {"a bad variable name", "    env: {\"1ABC\": x}\n",
       "t.yaml:4:11: store.mcp.env: invalid environment variable name '1ABC'"},
      {"a name with '='", "    env_files: {\"A=B\": /f}\n",
       "store.mcp.env_files: invalid environment variable name 'A=B'"},
      {"an empty file name", "    env_files: {VAULT_TOKEN: \"\"}\n",
       "t.yaml:4:17: store.mcp.env_files.VAULT_TOKEN: must not be empty"},
      {"env that is not a map", "    env: [A=B]\n", "t.yaml:4:10: store.mcp.env: expected a map of variable names"},
      {"a bad inherited name", "    inherit_env: [HOME, \"BAD-NAME\"]\n",
       "store.mcp.inherit_env[1]: invalid environment variable name 'BAD-NAME'"},
      {"a variable from two places", "    env: {VAULT_ADDR: x}\n    inherit_env: [VAULT_ADDR]\n",
       "store.mcp.inherit_env: VAULT_ADDR is already set by store.mcp.env"},
      {"an absolute mount", "    mount: /secret\n", "t.yaml:4:12: store.mcp.mount: "},
      {"a tiny timeout", "    timeout: 1ms\n", "t.yaml:4:14: store.mcp.timeout: must be between 10ms and 1h"},
      {"an unknown key", "    token_file: /x\n",
       "t.yaml:4:5: unknown key 'token_file' in store.mcp (expected: command, env, env_files, inherit_env, mount, "
       "timeout)"},
  };
  for (const auto& c : cases) {
    const auto cfg = parse_config(with_mcp(c.mcp_lines), "t.yaml");
    ASSERT_FALSE(cfg) << c.reason;
    EXPECT_EQ(cfg.error().code, ErrorCode::invalid_config) << c.reason;
    EXPECT_NE(cfg.error().message.find(c.expected), std::string::npos) << c.reason << ":\n" << cfg.error().message;
    EXPECT_EQ(cfg.error().message.find("hvs.x"), std::string::npos) << c.reason << ": the value leaked";
  }
}

}  // namespace
}  // namespace keyd::config
