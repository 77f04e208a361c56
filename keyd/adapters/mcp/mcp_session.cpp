// The MCP handshake and tool calls; see mcp_session.hpp.
#include "mcp_session.hpp"

#include "mcp_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace keyd::adapters::mcp {

namespace {

constexpr int k_max_tool_pages = 100;

detail::WipedString wiped(std::string_view text) { return detail::WipedString(text.begin(), text.end()); }

std::string text_of(const SecretJson& value) {
  if (!value.is_string()) return {};
  const auto& text = value.get_ref<const detail::WipedString&>();
  return std::string(text.begin(), text.end());
}

}  // namespace

std::string describe_server(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& arg : argv) {
    if (!command.empty()) command += ' ';
    command += arg;
  }
  return fmt::format("MCP server '{}'", redact_for_message(command, 120));
}

McpSession::McpSession(std::unique_ptr<ChildProcess> child, std::string server, std::chrono::milliseconds timeout)
    : m_child(std::move(child)), m_rpc(*m_child, std::move(server)), m_timeout(timeout) {}

McpSession::~McpSession() { m_child->stop(); }

Result<std::unique_ptr<McpSession>> McpSession::open(const SessionOptions& options) {
  std::string server = describe_server(options.command.argv);
  auto child = ChildProcess::start(options.command);
  if (!child) return fail(child.error().with_context(server));
  std::unique_ptr<McpSession> session(new McpSession(std::move(*child), std::move(server), options.timeout));
  KEYD_TRY(session->handshake(options.required_tools));
  return session;
}

Status McpSession::handshake(const std::vector<std::string>& required_tools) {
  const auto start = SteadyClock::now();
  const Deadline deadline = start + m_timeout;  // start-up and initialize together
  SecretJson params{{"protocolVersion", wiped(k_requested_protocol)},
                    {"capabilities", SecretJson::object()},
                    {"clientInfo", {{"name", "keyd"}, {"version", KEYD_VERSION}}}};
  KEYD_ASSIGN_OR_RETURN(const SecretJson init, m_rpc.request("initialize", std::move(params), deadline));
  const std::string version = init.contains("protocolVersion") ? text_of(init["protocolVersion"]) : std::string();
  if (std::ranges::find(k_supported_protocols, version) == k_supported_protocols.end()) {
    return fail(ErrorCode::unavailable,
                fmt::format("{} answered initialize with protocol version '{}', which keyd does not speak "
                            "(keyd asked for {}; it accepts {})",
                            server(), redact_for_message(version, 40), k_requested_protocol,
                            fmt::join(k_supported_protocols, ", ")));
  }
  const auto caps = init.find("capabilities");
  if (caps == init.end() || !caps->is_object() || !caps->contains("tools") || !(*caps)["tools"].is_object()) {
    return fail(ErrorCode::unavailable,
                fmt::format("{} does not offer tools (its initialize answer has no capabilities.tools); "
                            "poly-secret-mcp registers its tools only when it reached Vault at start-up",
                            server()));
  }
  std::string name = "unknown";
  if (const auto info = init.find("serverInfo"); info != init.end() && info->is_object() && info->contains("name")) {
    name = redact_for_message(text_of((*info)["name"]), 60);
  }
  KEYD_TRY(m_rpc.notify("notifications/initialized", SecretJson::object(), SteadyClock::now() + m_timeout));

  auto tools = list_tools(SteadyClock::now() + m_timeout);
  std::vector<std::string> missing;
  for (const auto& tool : required_tools) {
    if (!tools || !tools->contains(tool)) missing.push_back(tool);
  }
  if (!missing.empty()) {
    if (!tools && tools.error().code == ErrorCode::timeout) return fail(tools.error());
    std::string offered = tools ? (tools->empty() ? std::string("none") : fmt::format("{}", fmt::join(*tools, ", ")))
                                : tools.error().message;
    if (!tools && offered.starts_with(server() + ": ")) offered = "none, " + offered.substr(server().size() + 2);
    return fail(ErrorCode::unavailable,
                fmt::format("{} does not offer the tools keyd needs: missing {} (offered: {}). This is a problem "
                            "of the server, not of keyd: poly-secret-mcp registers no tools when Vault was "
                            "unreachable when it started (check VAULT_ADDR and VAULT_TOKEN under store.mcp), and "
                            "some of its releases fail to register tools at all",
                            server(), fmt::join(missing, ", "), offered));
  }
  spdlog::debug("{} ({}) ready in {} ms, protocol {}", server(), name,
                std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count(), version);
  return {};
}

Result<std::set<std::string>> McpSession::list_tools(Deadline deadline) {
  std::set<std::string> names;
  SecretJson cursor;
  for (int page = 0; page < k_max_tool_pages; ++page) {
    SecretJson params = SecretJson::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    KEYD_ASSIGN_OR_RETURN(const SecretJson result, m_rpc.request("tools/list", std::move(params), deadline));
    if (const auto tools = result.find("tools"); tools != result.end() && tools->is_array()) {
      for (const auto& tool : *tools) {
        if (tool.is_object() && tool.contains("name")) names.insert(text_of(tool["name"]));
      }
    }
    const auto next = result.find("nextCursor");
    if (next == result.end() || !next->is_string() || next->get_ref<const detail::WipedString&>().empty()) {
      return names;
    }
    cursor = *next;
  }
  return fail(ErrorCode::unavailable,
              fmt::format("{}: tools/list did not end after {} pages", server(), k_max_tool_pages));
}

Result<ToolResult> McpSession::call_tool(std::string_view name, SecretJson arguments) {
  SecretJson params{{"name", wiped(name)}, {"arguments", std::move(arguments)}};
  auto result = m_rpc.request("tools/call", std::move(params), SteadyClock::now() + m_timeout);
  if (!result) return fail(result.error().with_context(fmt::format("tool {}", name)));
  ToolResult out;
  out.is_error = result->value("isError", false);
  detail::WipedString text;
  if (const auto content = result->find("content"); content != result->end() && content->is_array()) {
    for (const auto& item : *content) {
      if (!item.is_object() || item.value("type", detail::WipedString()) != "text") continue;
      const auto t = item.find("text");
      if (t != item.end() && t->is_string()) text += t->get_ref<const detail::WipedString&>();
    }
  }
  out.text = Secret::from_text(std::string_view(text.data(), text.size()));
  return out;
}

}  // namespace keyd::adapters::mcp
