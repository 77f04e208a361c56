// One MCP session with a server started as a child process: initialize (protocol version and
// capabilities checked), notifications/initialized, tools/list (every page) to confirm the tools
// keyd needs, then tools/call. Closing ends the child (stdin closed, then SIGTERM, then SIGKILL).
#pragma once

#include "json_rpc.hpp"

#include <array>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace keyd::adapters::mcp {

inline constexpr std::string_view k_requested_protocol = "2025-06-18";
// Versions the current TypeScript SDK speaks; a server may answer any of them.
inline constexpr std::array<std::string_view, 4> k_supported_protocols{"2025-11-25", "2025-06-18", "2025-03-26",
                                                                       "2024-11-05"};

struct SessionOptions {
  ChildCommand command;
  std::chrono::milliseconds timeout{10'000};  // per request, and for start-up + initialize
  std::vector<std::string> required_tools;
};

// A tool's answer: the concatenated text content and isError.
struct ToolResult {
  bool is_error = false;
  Secret text;  // vault_read answers carry the key
};

class McpSession {
 public:
  // Starts the server and runs the handshake. Every failure names the server and what it did.
  [[nodiscard]] static Result<std::unique_ptr<McpSession>> open(const SessionOptions& options);
  ~McpSession();
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  // tools/call. A JSON-RPC error or a broken connection is an error; isError answers are results.
  [[nodiscard]] Result<ToolResult> call_tool(std::string_view name, SecretJson arguments);

  // After a timeout or a lost stream: the session is useless and should be closed.
  [[nodiscard]] bool broken() const noexcept { return m_rpc.broken(); }
  [[nodiscard]] const std::string& server() const noexcept { return m_rpc.server(); }
  [[nodiscard]] pid_t pid() const noexcept { return m_child->pid(); }

 private:
  McpSession(std::unique_ptr<ChildProcess> child, std::string server, std::chrono::milliseconds timeout);
  Status handshake(const std::vector<std::string>& required_tools);
  Result<std::set<std::string>> list_tools(Deadline deadline);

  std::unique_ptr<ChildProcess> m_child;
  RpcClient m_rpc;
  std::chrono::milliseconds m_timeout;
};

// "MCP server 'deno run … main.js'": the command, shortened, for messages.
[[nodiscard]] std::string describe_server(const std::vector<std::string>& argv);

}  // namespace keyd::adapters::mcp
