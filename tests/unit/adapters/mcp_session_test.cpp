// The MCP client's JSON-RPC and lifecycle against a scripted server (tests/doubles/mcp_scripted.py):
// handshake rules, framing (partial, huge and unterminated lines), messages that are not answers,
// server requests, timeouts, exits, stderr floods and the shutdown of a stubborn server.
#include "mcp_test_helpers.hpp"

#include "mcp/child_process.hpp"

namespace keyd::adapters::mcp_test {
namespace {

using mcp::McpSession;

json read_call() { return {{"read", "tools/call"}}; }

// A session that opened; fails the test (and throws) otherwise.
std::unique_ptr<McpSession> opened(ScriptedServer& server, const json& steps, std::chrono::milliseconds timeout = 3s) {
  auto session = server.open(steps, timeout);
  if (!session) throw std::runtime_error("open failed: " + session.error().message);
  return std::move(*session);
}

Result<mcp::ToolResult> call(McpSession& session) {
  return session.call_tool("vault_read", mcp::SecretJson{{"path", "secret/x"}});
}

TEST(McpSession, HandshakeThenToolCall) {
  ScriptedServer server;
  const std::string log = server.file("stdin.log");
  auto session = opened(
      server, json::array({{{"log_stdin", log}}, handshake(), read_call(), {{"reply", text_result("{\"a\": 1}")}}}));
  auto result = call(*session);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->is_error);
  EXPECT_EQ(result->text.reveal_text(), "{\"a\": 1}");
  const pid_t pid = session->pid();
  session.reset();
  EXPECT_TRUE(testing::process_gone(pid));

  // What keyd sent: initialize with its protocol version, then initialized, tools/list, tools/call.
  std::vector<json> sent;
  std::istringstream lines(testing::read_file(log));
  for (std::string line; std::getline(lines, line);) sent.push_back(json::parse(line));
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_EQ(sent[0]["method"], "initialize");
  EXPECT_EQ(sent[0]["params"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(sent[0]["params"]["clientInfo"]["name"], "keyd");
  EXPECT_EQ(sent[1]["method"], "notifications/initialized");
  EXPECT_FALSE(sent[1].contains("id"));
  EXPECT_EQ(sent[2]["method"], "tools/list");
  EXPECT_EQ(sent[3]["method"], "tools/call");
  EXPECT_EQ(sent[3]["params"]["name"], "vault_read");
  EXPECT_EQ(sent[3]["params"]["arguments"]["path"], "secret/x");
  for (const auto& m : sent) EXPECT_EQ(m["jsonrpc"], "2.0");
}

TEST(McpSession, AcceptsEveryProtocolVersionTheSdkSpeaks) {
  for (const char* version : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    ScriptedServer server;
    auto session = server.open(json::array({{{"handshake", {{"tools", k_vault_tools}, {"protocol", version}}}}}));
    EXPECT_TRUE(session) << version << ": " << session.error().message;
  }
}

TEST(McpSession, RefusesAnUnknownProtocolVersion) {
  ScriptedServer server;
  auto session = server.open(json::array({{{"handshake", {{"tools", k_vault_tools}, {"protocol", "1999-01-01"}}}}}));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "protocol version '1999-01-01'")) << session.error().message;
  EXPECT_TRUE(contains(session.error().message, "2025-06-18")) << session.error().message;
}

TEST(McpSession, RequiresTheToolsCapability) {
  ScriptedServer server;
  auto session = server.open(
      json::array({{{"handshake", {{"tools", k_vault_tools}, {"capabilities", {{"logging", json::object()}}}}}}}));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "capabilities.tools")) << session.error().message;
}

TEST(McpSession, NamesMissingToolsAndBlamesTheServer) {
  ScriptedServer server;
  auto session = server.open(json::array({handshake({"vault_read", "vault_status"})}));
  ASSERT_FALSE(session);
  const std::string& m = session.error().message;
  EXPECT_TRUE(contains(m, "missing vault_write, vault_metadata")) << m;
  EXPECT_TRUE(contains(m, "offered: vault_read, vault_status")) << m;
  EXPECT_TRUE(contains(m, "not of keyd")) << m;
  EXPECT_TRUE(contains(m, "registers no tools when Vault was unreachable")) << m;
}

TEST(McpSession, ToolsListMethodNotFoundIsReportedAsNoTools) {
  ScriptedServer server;
  auto session = server.open(
      json::array({{{"read", "initialize"}},
                   {{"reply", {{"protocolVersion", "2025-06-18"}, {"capabilities", {{"tools", json::object()}}}}}},
                   {{"read", "notifications/initialized"}},
                   {{"read", "tools/list"}},
                   {{"reply_error", {{"code", -32601}, {"message", "Method not found"}}}}}));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "offered: none, tools/list failed: Method not found"))
      << session.error().message;
  EXPECT_TRUE(contains(session.error().message, "missing vault_read, vault_write, vault_metadata"))
      << session.error().message;
}

TEST(McpSession, FollowsToolsListPages) {
  ScriptedServer server;
  auto session = server.open(
      json::array({{{"read", "initialize"}},
                   {{"reply", {{"protocolVersion", "2025-06-18"}, {"capabilities", {{"tools", json::object()}}}}}},
                   {{"read", "notifications/initialized"}},
                   {{"read", "tools/list"}},
                   {{"reply", {{"tools", {{{"name", "vault_read"}}}}, {"nextCursor", "page-2"}}}},
                   {{"read", "tools/list"}},
                   {{"reply", {{"tools", {{{"name", "vault_write"}}, {{"name", "vault_metadata"}}}}}}}}));
  EXPECT_TRUE(session) << session.error().message;
}

TEST(McpSession, SkipsNotificationsAndUnknownIdsAndAnswersServerRequests) {
  ScriptedServer server;
  const std::string log = server.file("stdin.log");
  auto session = opened(
      server,
      json::array(
          {handshake(),
           {{"log_stdin", log}},
           read_call(),
           {{"raw", "{\"jsonrpc\":\"2.0\",\"id\":424242,\"result\":{}}\n"}},
           {{"raw", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\"}}\n"}},
           {{"raw", "{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"ping\"}\n"}},
           {{"raw", "{\"jsonrpc\":\"2.0\",\"id\":\"srv-2\",\"method\":\"sampling/createMessage\",\"params\":{}}\n"}},
           {{"raw", "\n  \n"}},
           {{"reply", text_result("ok")}}}));
  auto result = call(*session);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text.reveal_text(), "ok");
  session.reset();  // ends the conversation, so the log is complete

  std::map<std::string, json> answers;
  std::istringstream lines(testing::read_file(log));
  for (std::string line; std::getline(lines, line);) {
    const json m = json::parse(line);
    if (m.contains("id") && m["id"].is_string()) answers[m["id"].get<std::string>()] = m;
  }
  ASSERT_TRUE(answers.contains("srv-1")) << testing::read_file(log);
  EXPECT_EQ(answers["srv-1"]["result"], json::object());
  ASSERT_TRUE(answers.contains("srv-2"));
  EXPECT_EQ(answers["srv-2"]["error"]["code"], -32601);
}

TEST(McpSession, ResultFieldsMayComeBeforeJsonrpcAndLinesMayArriveInPieces) {
  ScriptedServer server;
  auto session = opened(server, json::array({handshake(),
                                             read_call(),
                                             {{"raw", "{\"result\":{\"content\":[{\"ty"}},
                                             {{"sleep", 0.05}},
                                             {{"raw", "pe\":\"text\",\"text\":\"pie"}},
                                             {{"sleep", 0.05}},
                                             {{"raw", "ces\"}]},\"id\":3,\"jsonrpc\":\"2.0\"}\n"}}}));
  // ids: initialize 1, tools/list 2, tools/call 3.
  auto result = session->call_tool("vault_read", mcp::SecretJson{{"path", "x"}});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text.reveal_text(), "pieces");
}

TEST(McpSession, LargeAnswersPassAndLinesOver8MiBAreRefused) {
  ScriptedServer server;
  const std::string big(1 << 20, 'a');
  auto session = opened(server, json::array({handshake(), read_call(), {{"reply", text_result(big)}}}));
  auto result = call(*session);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text.size(), big.size());

  ScriptedServer huge;
  session = opened(huge, json::array({handshake(), read_call(), {{"raw_repeat", {"x", (9 << 20)}}}}));
  const auto start = mcp::SteadyClock::now();
  result = call(*session);
  ASSERT_FALSE(result);
  EXPECT_TRUE(contains(result.error().message, "longer than 8 MiB")) << result.error().message;
  EXPECT_TRUE(session->broken());
  EXPECT_LT(mcp::SteadyClock::now() - start, 3s);
}

TEST(McpSession, NonJsonOnStdoutIsAClearErrorWithRedaction) {
  ScriptedServer server;
  const std::string hex = key_hex(3);
  auto session = opened(server, json::array({handshake(), read_call(), {{"raw", "Listening on stdio " + hex + "\n"}}}));
  auto result = call(*session);
  ASSERT_FALSE(result);
  const std::string& m = result.error().message;
  EXPECT_TRUE(contains(m, "not a JSON-RPC message on stdout")) << m;
  EXPECT_TRUE(contains(m, "Listening on stdio <redacted>")) << m;
  EXPECT_TRUE(contains(m, "tool vault_read")) << m;
  expect_clean(m);
  EXPECT_TRUE(session->broken());
}

TEST(McpSession, ExitMidLineNamesTheCommandStatusAndLastStderrLine) {
  ScriptedServer server;
  auto session = opened(server, json::array({handshake(),
                                             read_call(),
                                             {{"raw", "{\"jsonrpc\":\"2.0\",\"id\":3,"}},
                                             {{"stderr", "first line\nvault: connection refused\n\n"}},
                                             {{"exit", 3}}}));
  auto result = call(*session);
  ASSERT_FALSE(result);
  const std::string& m = result.error().message;
  EXPECT_EQ(result.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(contains(m, "mcp_scripted.py")) << m;
  EXPECT_TRUE(contains(m, "exited with status 3")) << m;
  EXPECT_TRUE(contains(m, "last stderr line: vault: connection refused")) << m;
  EXPECT_TRUE(contains(m, "tools/call")) << m;
}

TEST(McpSession, KilledBySignalIsReported) {
  ScriptedServer server;
  auto session = server.open(json::array({{{"read", "initialize"}}, {{"kill", 9}}}));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "killed by signal 9")) << session.error().message;
  EXPECT_TRUE(contains(session.error().message, "initialize")) << session.error().message;
}

TEST(McpSession, ServerThatExitsAtOnceDoesNotKillKeydWithSigpipe) {
  ScriptedServer server;
  auto session = server.open(json::array({{{"exit", 0}}}));
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(contains(session.error().message, "exited with status 0") ||
              contains(session.error().message, "closed its stdin"))
      << session.error().message;
}

TEST(McpSession, SilentServerTimesOutWithinTheDeadline) {
  ScriptedServer server;
  const auto start = mcp::SteadyClock::now();
  auto session = server.open(json::array({{{"read", "initialize"}}, {{"sleep", 30}}}), 300ms);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::timeout);
  EXPECT_TRUE(contains(session.error().message, "did not answer initialize in time")) << session.error().message;
  EXPECT_LT(mcp::SteadyClock::now() - start, 5s);  // 300 ms, plus stopping a sleeping python
}

TEST(McpSession, StderrFloodNeverBlocksTheServer) {
  ScriptedServer server;
  auto session = opened(server,
                        json::array({{{"stderr_repeat", {"log line that floods stderr\n", 400'000}}},
                                     handshake(),
                                     read_call(),
                                     {{"stderr_repeat", {"more noise\n", 400'000}}},
                                     {{"reply", text_result("fine")}}}),
                        5s);
  auto result = call(*session);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text.reveal_text(), "fine");
}

TEST(McpSession, MissingCommandIsNamed) {
  mcp::SessionOptions options;
  options.command.argv = {"keyd-no-such-mcp-server"};
  options.command.env.emplace_back("PATH", Secret::from_text("/nonexistent"));
  auto session = McpSession::open(options);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "'keyd-no-such-mcp-server' not found")) << session.error().message;
}

TEST(McpChildProcess, EnvironmentIsExactlyWhatWasGiven) {
  ScriptedServer server;
  mcp::ChildCommand command;
  command.argv = server.write(json::array({{{"dump_env", server.file("env.txt")}}, {{"exit", 0}}}));
  command.env.emplace_back("VAULT_ADDR", Secret::from_text("http://127.0.0.1:1"));
  command.env.emplace_back("VAULT_TOKEN", Secret::from_text("hvs.only-for-the-child"));
  ::setenv("KEYD_MCP_CANARY", "must-not-leak", 1);
  auto child = mcp::ChildProcess::start(command);
  ::unsetenv("KEYD_MCP_CANARY");
  ASSERT_TRUE(child) << child.error().message;
  detail::WipedString out;
  EXPECT_EQ((*child)->read_stdout(out, mcp::SteadyClock::now() + 5s), mcp::ChildProcess::ReadOutcome::eof);
  EXPECT_EQ((*child)->exit_description(2s), "exited with status 0");
  EXPECT_EQ(testing::read_file(server.file("env.txt")), "VAULT_ADDR\nVAULT_TOKEN\n");
}

TEST(McpChildProcess, StubbornServerIsTerminatedThenKilledAndReaped) {
  ScriptedServer server;
  mcp::ChildCommand command;
  command.argv = server.write(json::array({{{"stubborn", true}}, {{"raw", "ready\n"}}}));
  auto child = mcp::ChildProcess::start(command);
  ASSERT_TRUE(child) << child.error().message;
  detail::WipedString out;
  ASSERT_EQ((*child)->read_stdout(out, mcp::SteadyClock::now() + 5s), mcp::ChildProcess::ReadOutcome::data);
  const pid_t pid = (*child)->pid();
  const auto start = mcp::SteadyClock::now();
  (*child)->stop(200ms);
  EXPECT_LT(mcp::SteadyClock::now() - start, 2s);
  EXPECT_TRUE(testing::process_gone(pid));
  EXPECT_TRUE(contains((*child)->exit_description(0ms), "killed by signal 9")) << (*child)->exit_description(0ms);
}

TEST(McpChildProcess, WellBehavedServerExitsWhenItsInputCloses) {
  ScriptedServer server;
  mcp::ChildCommand command;
  command.argv = server.write(json::array({{{"raw", "ready\n"}}}));
  auto child = mcp::ChildProcess::start(command);
  ASSERT_TRUE(child) << child.error().message;
  detail::WipedString out;
  ASSERT_EQ((*child)->read_stdout(out, mcp::SteadyClock::now() + 5s), mcp::ChildProcess::ReadOutcome::data);
  const auto start = mcp::SteadyClock::now();
  (*child)->stop(5s);
  EXPECT_LT(mcp::SteadyClock::now() - start, 2s);
  EXPECT_EQ((*child)->exit_description(0ms), "exited with status 0");
}

}  // namespace
}  // namespace keyd::adapters::mcp_test
