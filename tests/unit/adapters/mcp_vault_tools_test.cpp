// The pure parts of the MCP backend: tool arguments, what a tool's text means, redaction.
#include "mcp_test_helpers.hpp"

#include "mcp/mcp_text.hpp"
#include "mcp/vault_tools.hpp"

namespace keyd::adapters::mcp_test {
namespace {

TEST(McpVaultTools, CliPathsAndArguments) {
  EXPECT_EQ(mcp::cli_path("secret", k_path), "secret/ipfs-overlay/swarm-key");
  EXPECT_EQ(mcp::cli_path("kv/team", "a/b"), "kv/team/a/b");
  EXPECT_EQ(mcp::path_arguments("secret/x").dump(), R"({"path":"secret/x"})");
}

TEST(McpVaultTools, WriteArgumentsUseTheArrayFormWithTheVaultBackendsFields) {
  const auto args = mcp::write_arguments("secret/x", version_data(1));
  ASSERT_TRUE(args) << args.error().message;
  const json plain = json::parse(args->dump());
  EXPECT_EQ(plain["path"], "secret/x");
  EXPECT_EQ(plain["data"], (json{"swarm.key=" + key_text(1), "fingerprint=" + vault_test::fingerprint(1),
                                 "issued_by=keyd-test", "reason=initial"}));
}

TEST(McpVaultTools, WriteArgumentsRefuseValuesTheVaultCliWouldNotTakeLiterally) {
  auto data = version_data(1, "@/etc/passwd");
  auto refused = mcp::write_arguments("secret/x", data);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
  EXPECT_TRUE(contains(refused.error().message, "issued_by")) << refused.error().message;
  data.issued_by = "-";
  EXPECT_FALSE(mcp::write_arguments("secret/x", data));
  data.issued_by = "ok@host";
  EXPECT_TRUE(mcp::write_arguments("secret/x", data));
  data.key_text = Secret();
  EXPECT_FALSE(mcp::write_arguments("secret/x", data));
}

struct FailureCase {
  const char* reason;
  const char* text;
  ErrorCode code;
  const char* expected;  // in the message
};

TEST(McpVaultTools, ToolFailuresMapOnce) {
  const std::vector<FailureCase> cases{
      {"missing secret", "Error: No value found at secret/data/x\n", ErrorCode::not_found,
       "tool vault_read (secret/x): nothing stored there (No value found at secret/data/x)"},
      {"403 from the CLI",
       "Error: Error making API request.\n\nURL: GET http://127.0.0.1/v1/secret/data/x\nCode: 403. Errors:\n\n* "
       "permission denied\n",
       ErrorCode::unauthorized, "403 permission denied"},
      {"dropped arguments", "Error: path parameter is required", ErrorCode::unavailable,
       "known poly-secret-mcp defect"},
      {"sealed or down", "Error: Error making API request.\n\nCode: 503. Errors:\n\n* Vault is sealed\n",
       ErrorCode::unavailable, "tool vault_read (secret/x): Error making API request."},
      {"no text", "", ErrorCode::unavailable, "failed without a message"},
  };
  for (const auto& c : cases) {
    const Error e = mcp::tool_failure("vault_read", "secret/x", Secret::from_text(c.text));
    EXPECT_EQ(e.code, c.code) << c.reason << ": " << e.message;
    EXPECT_TRUE(contains(e.message, c.expected)) << c.reason << ": " << e.message;
  }
}

TEST(McpVaultTools, ToolTextThatIsNotJsonIsReportedRedacted) {
  const auto bad = mcp::parse_tool_json("vault_read", "secret/x", Secret::from_text("value: " + key_hex(2)));
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "not the vault CLI's JSON")) << bad.error().message;
  expect_clean(bad.error().message);
}

TEST(McpVaultTools, ReadOutputOfADeletedCurrentVersionIsNotFound) {
  const mcp::SecretJson doc = mcp::SecretJson::parse(
      R"({"data":{"data":null,"metadata":{"version":4,"deletion_time":"2026-01-01T00:00:00Z","destroyed":false}}})");
  const auto read = mcp::parse_read_output(doc, "tool vault_read (secret/x)");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::not_found);
  EXPECT_TRUE(contains(read.error().message, "the current version 4 is deleted")) << read.error().message;
}

TEST(McpText, RedactsKeysAndTokensButKeepsPaths) {
  EXPECT_EQ(mcp::redact_for_message("read secret/ipfs-overlay/swarm-key failed"),
            "read secret/ipfs-overlay/swarm-key failed");
  EXPECT_EQ(mcp::redact_for_message("key " + key_hex(1) + " here"), "key <redacted> here");
  EXPECT_EQ(mcp::redact_for_message("token hvs.CAESIJx9aV3kQ2mN8pL4rT6wY1zB5cD7eF0g"), "token <redacted>");
  EXPECT_EQ(mcp::redact_for_message("b64 q83vEjRWeJq8PJ8Lk1oFHQ+3TgKZwTjxCV5ARdC2s0E= end"), "b64 <redacted> end");
  EXPECT_EQ(mcp::redact_for_message("line\nbreak\ttab"), "line break tab");
  EXPECT_EQ(mcp::redact_for_message(std::string(300, 'x') + " y", 10), "<redacted>…");
  EXPECT_EQ(mcp::redact_for_message("abcdefgh ijkl", 5), "abcde…");
  EXPECT_EQ(mcp::first_line_for_message("\n\nError: first\nsecond"), "first");
}

// Found by tests/fuzz/mcp_tools_fuzz: json::value() threw type_error out of the parser when a
// member had another type than expected. Such members now count as absent.
TEST(McpVaultTools, ReadOutputWithMembersOfTheWrongTypeDoesNotThrow) {
  const mcp::SecretJson doc = mcp::SecretJson::parse(
      R"({"data":{"data":{"swarm.key":"text","fingerprint":"f","issued_by":"a","reason":"r"},)"
      R"("metadata":{"version":"3","deletion_time":"","destroyed":"no"}}})");
  ASSERT_NO_THROW((void)mcp::parse_read_output(doc, "tool vault_read (secret/x)"));
}

}  // namespace
}  // namespace keyd::adapters::mcp_test
