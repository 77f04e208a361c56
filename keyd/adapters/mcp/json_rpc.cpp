// JSON-RPC 2.0 over newline-delimited stdio; see json_rpc.hpp.
#include "json_rpc.hpp"

#include "mcp_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::mcp {

namespace {

constexpr int k_method_not_found = -32601;
constexpr auto k_exit_wait = std::chrono::milliseconds(500);

std::string id_text(const SecretJson& id) {
  if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  if (id.is_string()) return redact_for_message(id.get_ref<const detail::WipedString&>(), 40);
  return "null";
}

std::string string_member(const SecretJson& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  const auto& text = it->get_ref<const detail::WipedString&>();
  return std::string(text.begin(), text.end());
}

}  // namespace

Error RpcClient::broke(Error error) {
  m_broken = true;
  return error;
}

Error RpcClient::ended(std::string_view waiting_for) {
  std::string message = fmt::format("{} {} while keyd waited for the answer to {}", m_server,
                                    m_child.exit_description(k_exit_wait), waiting_for);
  if (const std::string line = m_child.last_stderr_line(); !line.empty()) {
    message += fmt::format("; its last stderr line: {}", line);
  }
  return broke(Error{ErrorCode::unavailable, std::move(message)});
}

Status RpcClient::send(const SecretJson& message, std::string_view what, Deadline deadline) {
  detail::WipedString line;
  try {
    line = message.dump();
  } catch (const SecretJson::type_error&) {
    // Text that is not UTF-8 (a tool's argument: a path, a value to store). Replacing bytes would
    // store something else, so nothing is sent and the conversation can go on.
    return fail(ErrorCode::invalid_input, fmt::format("{}: cannot send {}: it holds text that is not UTF-8", m_server, what));
  }
  line += '\n';
  if (auto written = m_child.write_all(line, deadline); !written) {
    if (written.error().code == ErrorCode::timeout) {
      return fail(broke(Error{ErrorCode::timeout, fmt::format("{} did not read the {} request in time (it {})",
                                                              m_server, what, written.error().message)}));
    }
    return fail(broke(
        Error{ErrorCode::unavailable, fmt::format("{}: cannot send {}: {}; it {}", m_server, what,
                                                  written.error().message, m_child.exit_description(k_exit_wait))}));
  }
  return {};
}

Result<SecretJson> RpcClient::next_message(std::string_view waiting_for, Deadline deadline) {
  for (;;) {
    const auto newline = m_buffer.find('\n');
    if (newline == detail::WipedString::npos) {
      if (m_buffer.size() > k_max_line_bytes) {
        return fail(broke(Error{ErrorCode::unavailable,
                                fmt::format("{} sent a line longer than {} MiB while keyd waited for the answer to {}",
                                            m_server, k_max_line_bytes >> 20, waiting_for)}));
      }
      switch (m_child.read_stdout(m_buffer, deadline)) {
        case RpcChannel::ReadOutcome::data:
          continue;
        case RpcChannel::ReadOutcome::eof:
          return fail(ended(waiting_for));
        case RpcChannel::ReadOutcome::timeout:
          return fail(
              broke(Error{ErrorCode::timeout, fmt::format("{} did not answer {} in time", m_server, waiting_for)}));
      }
    }
    if (newline > k_max_line_bytes) {
      return fail(broke(Error{ErrorCode::unavailable,
                              fmt::format("{} sent a line longer than {} MiB", m_server, k_max_line_bytes >> 20)}));
    }
    detail::WipedString line(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(newline));
    m_buffer.erase(0, newline + 1);
    if (line.find_first_not_of(" \t\r") == detail::WipedString::npos) continue;
    auto message = SecretJson::parse(line.begin(), line.end(), nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      return fail(broke(Error{ErrorCode::unavailable,
                              fmt::format("{} printed something that is not a JSON-RPC message on stdout (only "
                                          "protocol messages belong there; logs go to stderr): '{}'",
                                          m_server, redact_for_message(line, 120))}));
    }
    return message;
  }
}

Status RpcClient::answer_server_request(const SecretJson& message, Deadline deadline) {
  const std::string method = string_member(message, "method");
  SecretJson reply{{"jsonrpc", "2.0"}, {"id", message["id"]}};
  if (method == "ping") {
    reply["result"] = SecretJson::object();
  } else {
    spdlog::debug("{} asked keyd for '{}', which keyd does not offer", m_server, redact_for_message(method, 60));
    reply["error"] = {{"code", k_method_not_found}, {"message", "Method not found"}};
  }
  return send(reply, "an answer to its " + redact_for_message(method, 60) + " request", deadline);
}

Result<SecretJson> RpcClient::request(std::string_view method, SecretJson params, Deadline deadline) {
  if (m_broken) return fail(ErrorCode::unavailable, fmt::format("{}: the connection was lost earlier", m_server));
  const std::int64_t id = m_next_id++;
  const SecretJson message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  KEYD_TRY(send(message, method, deadline));
  spdlog::trace("{}: sent {} (id {})", m_server, method, id);
  for (;;) {
    KEYD_ASSIGN_OR_RETURN(SecretJson reply, next_message(method, deadline));
    const auto id_it = reply.find("id");
    const bool has_method = reply.contains("method");
    if (has_method && id_it != reply.end() && !id_it->is_null()) {
      KEYD_TRY(answer_server_request(reply, deadline));
      continue;
    }
    if (has_method) {
      spdlog::debug("{}: notification {} (skipped)", m_server, redact_for_message(string_member(reply, "method"), 60));
      continue;
    }
    if (id_it == reply.end() || !id_it->is_number_integer() || id_it->get<std::int64_t>() != id) {
      spdlog::debug("{}: answer with unknown id {} (skipped)", m_server,
                    id_it == reply.end() ? std::string("none") : id_text(*id_it));
      continue;
    }
    if (const auto error = reply.find("error"); error != reply.end()) {
      const std::string text = error->is_object() ? string_member(*error, "message") : std::string();
      const auto code = error->is_object() ? detail::int_member(*error, "code", 0) : 0;
      return fail(ErrorCode::unavailable, fmt::format("{}: {} failed: {} (JSON-RPC error {})", m_server, method,
                                                      redact_for_message(text), code));
    }
    const auto result = reply.find("result");
    if (result == reply.end() || !result->is_object()) {
      return fail(ErrorCode::unavailable, fmt::format("{}: the answer to {} has no result object", m_server, method));
    }
    return std::move(*result);
  }
}

Status RpcClient::notify(std::string_view method, SecretJson params, Deadline deadline) {
  if (m_broken) return fail(ErrorCode::unavailable, fmt::format("{}: the connection was lost earlier", m_server));
  const SecretJson message{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
  return send(message, method, deadline);
}

}  // namespace keyd::adapters::mcp
