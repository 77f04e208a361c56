// No key through the MCP backend: every command at trace level, then every output, log, audit line
// and the double's call log searched for each key (hex both cases, base64, raw) and the Vault token.
#include "key_forms.hpp"
#include "mcp_cli_support.hpp"

#include <fstream>

namespace keyd::testing {
namespace {

TEST_F(McpCli, NoKeyOrTokenInOutputLogsAuditOrCallLog) {
  std::string transcript;
  std::vector<std::string> keys;
  const auto run = [&](std::vector<std::string> args, bool key_on_stdout = false) {
    args.insert(args.end(), {"--log-level", "trace"});
    const auto r = keyd(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (!key_on_stdout) transcript += r.out;
    transcript += r.err;
  };
  run({"rotate"});
  keys.push_back(read_file(target()));
  run({"rotate", "--output", "json"});
  keys.push_back(read_file(target()));
  ASSERT_EQ(run_keyd({"generate", "--out", "imported.key"}, dir.path()).exit_code, 0);
  run({"import", "imported.key"});
  keys.push_back(read_file(target()));
  run({"sync"});
  run({"history"});
  run({"history", "--output", "json"});
  run({"fetch", "--out", "current.key"});
  run({"fetch", "--out", "-"}, /*key_on_stdout=*/true);
  const auto failed = keyd({"fetch", "--version", "1", "--out", "v1.key", "--log-level", "trace"});
  EXPECT_EQ(failed.exit_code, 1);
  transcript += failed.out + failed.err;

  EXPECT_TRUE(has(transcript, "[debug]")) << "trace logging was not on";
  EXPECT_TRUE(has(transcript, "verified (fingerprint")) << transcript;
  const std::string audit = read_file(dir / ".keyd/audit.jsonl");
  const std::string calls = read_file(mcp.call_log());
  for (const auto& key : keys) {
    const KeyForms f = forms_of_key_file(key);
    for (const auto& form : {f.hex, f.upper_hex, f.base64, f.raw}) {
      EXPECT_FALSE(has(transcript, form)) << "key in keyd's output or logs";
      EXPECT_FALSE(has(audit, form)) << "key in the audit trail";
      EXPECT_FALSE(has(calls, form)) << "key in the server's call log";
    }
  }
  for (const auto& text : {transcript, audit, calls}) {
    EXPECT_FALSE(has(text, mcp.vault.root_token())) << "token leaked";
    EXPECT_FALSE(has(text, "/key/swarm/psk")) << "key file text leaked";
  }
  // The call log holds tool and argument names only.
  std::ifstream in(mcp.call_log());
  int tool_calls = 0;
  for (std::string line; std::getline(in, line);) {
    const auto entry = nlohmann::json::parse(line);
    if (!entry.contains("tool")) continue;
    ++tool_calls;
    for (const auto& name : entry["arguments"]) EXPECT_TRUE(name == "path" || name == "data") << line;
  }
  EXPECT_GT(tool_calls, 10);
}

}  // namespace
}  // namespace keyd::testing
