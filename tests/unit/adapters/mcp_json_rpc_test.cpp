// RpcClient over an in-memory RpcChannel (no process): what it sends, and how it frames what the
// server prints (the same seam as tests/fuzz/mcp_framing_fuzz.cpp).
#include "mcp/json_rpc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::adapters::mcp {
namespace {

class StreamChannel final : public RpcChannel {
 public:
  explicit StreamChannel(std::string stream) : m_stream(std::move(stream)) {}
  Status write_all(std::string_view bytes, Deadline /*deadline*/) override {
    writes.emplace_back(bytes);
    return {};
  }
  ReadOutcome read_stdout(detail::WipedString& out, Deadline /*deadline*/) override {
    if (m_at == m_stream.size()) return ReadOutcome::eof;
    const std::size_t size = std::min<std::size_t>(1 << 20, m_stream.size() - m_at);
    out.append(m_stream.data() + m_at, size);
    m_at += size;
    ++reads;
    return ReadOutcome::data;
  }
  std::string exit_description(std::chrono::milliseconds /*wait*/) override { return "exited with status 0"; }
  std::string last_stderr_line() override { return {}; }

  std::vector<std::string> writes;
  int reads = 0;

 private:
  std::string m_stream;
  std::size_t m_at = 0;
};

Deadline later() { return SteadyClock::now() + std::chrono::minutes(1); }

// nlohmann's dump() throws type_error 316 on bytes that are not UTF-8. A tool's arguments carry a
// value to store: replacing bytes would store something else, so the request is refused, unsent.
TEST(McpJsonRpc, ARequestHoldingTextThatIsNotUtf8IsRefusedUnsent) {
  StreamChannel channel(R"({"jsonrpc":"2.0","id":2,"result":{}})" "\n");  // id 1 went to the refused request
  RpcClient rpc(channel, "MCP server 'test'");
  const auto answer = rpc.request("tools/call", SecretJson{{"path", "secret/a\xff"}}, later());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(answer.error().message, "MCP server 'test': cannot send tools/call: it holds text that is not UTF-8");
  EXPECT_TRUE(channel.writes.empty());
  EXPECT_FALSE(rpc.broken());
  EXPECT_TRUE(rpc.request("tools/list", SecretJson::object(), later()));  // the next request goes out
  EXPECT_EQ(channel.writes.size(), 1U);
}

TEST(McpJsonRpc, ALineLongerThanTheLimitBreaksTheClientWithoutReadingOn) {
  std::string stream(k_max_line_bytes + (3 << 20), 'x');
  StreamChannel channel(stream + "\n");
  RpcClient rpc(channel, "MCP server 'test'");
  const auto answer = rpc.request("tools/list", SecretJson::object(), later());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::unavailable);
  EXPECT_NE(answer.error().message.find("sent a line longer than 8 MiB"), std::string::npos) << answer.error().message;
  EXPECT_TRUE(rpc.broken());
  EXPECT_LE(channel.reads, 9);  // stopped after the limit, not at the newline 11 MiB in
}

TEST(McpJsonRpc, AnswersAreMatchedByIdAndErrorsAreRedacted) {
  StreamChannel channel(
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n"
      "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"stale\":true}}\n"
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"denied for "
      "0123456789abcdef0123456789abcdef\"}}\n");
  RpcClient rpc(channel, "MCP server 'test'");
  const auto answer = rpc.request("tools/list", SecretJson::object(), later());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message, "MCP server 'test': tools/list failed: denied for <redacted> (JSON-RPC error -32000)");
}

}  // namespace
}  // namespace keyd::adapters::mcp
