// JSON-RPC 2.0 over the MCP server's stdio, one JSON message per line: requests matched to their
// answer by id, every wait bounded by a deadline. Notifications and answers with an unknown id are
// logged (debug, method or id only) and skipped; the server's `ping` requests are answered with {},
// its other requests with error -32601. Lines are limited to 8 MiB.
#pragma once

#include "child_process.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace keyd::adapters::mcp {

using detail::SecretJson;

inline constexpr std::size_t k_max_line_bytes = std::size_t{8} << 20;

class RpcClient {
 public:
  // `server` names the server in every message ("MCP server 'node server.mjs'").
  RpcClient(RpcChannel& child, std::string server) : m_child(child), m_server(std::move(server)) {}

  // The request's "result". A JSON-RPC error answer is unavailable with the server's message;
  // no answer by the deadline is timeout; the server exiting, printing something that is not a
  // JSON-RPC message, or an over-long line is unavailable, and breaks the client (see broken()).
  [[nodiscard]] Result<SecretJson> request(std::string_view method, SecretJson params, Deadline deadline);
  [[nodiscard]] Status notify(std::string_view method, SecretJson params, Deadline deadline);

  // After a timeout or a broken stream the conversation cannot continue: the caller stops the server.
  [[nodiscard]] bool broken() const noexcept { return m_broken; }
  [[nodiscard]] const std::string& server() const noexcept { return m_server; }

 private:
  Status send(const SecretJson& message, std::string_view what, Deadline deadline);
  Result<SecretJson> next_message(std::string_view waiting_for, Deadline deadline);
  Status answer_server_request(const SecretJson& message, Deadline deadline);
  Error broke(Error error);
  Error ended(std::string_view waiting_for);

  RpcChannel& m_child;
  std::string m_server;
  detail::WipedString m_buffer;  // bytes read and not yet consumed (may hold key material)
  std::int64_t m_next_id = 1;
  bool m_broken = false;
};

}  // namespace keyd::adapters::mcp
