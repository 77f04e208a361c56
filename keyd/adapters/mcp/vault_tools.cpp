// poly-secret-mcp's Vault tools as pure values; see vault_tools.hpp.
#include "vault_tools.hpp"

#include "../vault/vault_api.hpp"
#include "mcp_text.hpp"

#include <fmt/format.h>

#include <vector>

namespace keyd::adapters::mcp {

namespace {

detail::WipedString wiped(std::string_view text) { return detail::WipedString(text.begin(), text.end()); }

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// A vault kv put value that the CLI would not take literally.
bool special_to_vault_cli(std::string_view value) { return value.starts_with('@') || value == "-"; }

}  // namespace

std::string cli_path(std::string_view mount, std::string_view path) { return fmt::format("{}/{}", mount, path); }

SecretJson path_arguments(std::string_view cli_path) { return SecretJson{{"path", wiped(cli_path)}}; }

Result<SecretJson> write_arguments(std::string_view cli_path, const ports::VersionData& data) {
  if (data.key_text.empty()) return fail(ErrorCode::invalid_input, "the key text to store is empty");
  std::vector<std::pair<std::string_view, std::string_view>> plain{
      std::pair{"fingerprint", std::string_view(data.fingerprint)},
      std::pair{"issued_by", std::string_view(data.issued_by)}, std::pair{"reason", std::string_view(data.reason)}};
  if (!data.audit_anchor.empty()) plain.emplace_back("audit_anchor", data.audit_anchor);
  if (special_to_vault_cli(data.key_text.reveal_text())) {
    return fail(ErrorCode::invalid_input,
                "the key text starts with '@' or is '-', which the vault CLI would not store");
  }
  SecretJson items = SecretJson::array();
  detail::WipedString key = "swarm.key=";
  key += wiped(data.key_text.reveal_text());
  items.push_back(std::move(key));
  for (const auto& [name, value] : plain) {
    if (special_to_vault_cli(value)) {
      return fail(ErrorCode::invalid_input,
                  fmt::format("{} '{}' starts with '@' or is '-', which the vault CLI would read as a file or stdin",
                              name, redact_for_message(value, 60)));
    }
    detail::WipedString item = wiped(name);
    item += '=';
    item += wiped(value);
    items.push_back(std::move(item));
  }
  return SecretJson{{"path", wiped(cli_path)}, {"data", std::move(items)}};
}

Error tool_failure(std::string_view tool, std::string_view cli_path, const Secret& text) {
  const std::string_view t = text.reveal_text();
  const std::string what = fmt::format("tool {} ({})", tool, cli_path);
  if (contains(t, "path parameter is required")) {
    return Error{ErrorCode::unavailable,
                 fmt::format("{}: the server answered 'path parameter is required' although keyd sent the path. "
                             "This is a known poly-secret-mcp defect, not a keyd problem: it registers its tools so "
                             "that the MCP SDK drops every argument. Use a fixed server or store.backend: vault",
                             what)};
  }
  if (contains(t, "No value found at")) {
    return Error{ErrorCode::not_found, fmt::format("{}: nothing stored there ({})", what, first_line_for_message(t))};
  }
  if (contains(t, "permission denied") || contains(t, "Code: 403")) {
    return Error{ErrorCode::unauthorized,
                 fmt::format("{}: Vault refused the server's token (403 permission denied); check the token and policy "
                             "it gets through store.mcp.env_files",
                             what)};
  }
  const std::string line = first_line_for_message(t);
  return Error{ErrorCode::unavailable, fmt::format("{}: {}", what, line.empty() ? "failed without a message" : line)};
}

Result<SecretJson> parse_tool_json(std::string_view tool, std::string_view cli_path, const Secret& text) {
  auto doc = SecretJson::parse(text.reveal_text(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::unavailable, fmt::format("tool {} ({}): the answer is not the vault CLI's JSON: '{}'", tool,
                                                    cli_path, first_line_for_message(text.reveal_text())));
  }
  return doc;
}

Result<ports::StoredVersion> parse_read_output(const SecretJson& doc, std::string_view what) {
  const auto outer = doc.find("data");
  if (outer != doc.end() && outer->is_object()) {
    const auto data = outer->find("data");
    const auto meta = outer->find("metadata");
    if ((data == outer->end() || data->is_null()) && meta != outer->end() && meta->is_object()) {
      const int version = detail::int_member(*meta, "version", 0);
      const bool destroyed = detail::bool_member(*meta, "destroyed", false);
      return fail(ErrorCode::not_found,
                  fmt::format("{}: the current version {} is {}", what, version, destroyed ? "destroyed" : "deleted"));
    }
  }
  return vault::parse_read(doc, what);
}

}  // namespace keyd::adapters::mcp
