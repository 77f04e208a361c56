// The SecretStore port through poly-secret-mcp; see include/keyd/adapters/mcp/mcp_store.hpp.
#include "keyd/adapters/mcp/mcp_store.hpp"

#include "../vault/vault_api.hpp"
#include "mcp_session.hpp"
#include "vault_tools.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

using mcp::SecretJson;

const std::vector<std::string> k_required_tools{"vault_read", "vault_write", "vault_metadata"};

class McpStore final : public ports::SecretStore {
 public:
  explicit McpStore(McpOptions options) : m_options(std::move(options)) {}

  [[nodiscard]] std::string describe() const override {
    return fmt::format("{} (Vault mount {})", mcp::describe_server(m_options.command), m_options.mount);
  }

  [[nodiscard]] ports::StoreCapabilities capabilities() const override {
    return {.past_versions = false, .check_and_set = false};
  }

  Result<ports::PathMetadata> metadata(std::string_view path) override {
    const std::string at = mcp::cli_path(m_options.mount, path);
    KEYD_ASSIGN_OR_RETURN(const SecretJson doc, call_json("vault_metadata", at, mcp::path_arguments(at)));
    return vault::parse_metadata(doc, "tool vault_metadata (" + at + ")");
  }

  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    const std::string at = mcp::cli_path(m_options.mount, path);
    KEYD_ASSIGN_OR_RETURN(const SecretJson doc, call_json("vault_read", at, mcp::path_arguments(at)));
    KEYD_ASSIGN_OR_RETURN(ports::StoredVersion stored, mcp::parse_read_output(doc, "tool vault_read (" + at + ")"));
    if (version && *version != stored.info.version) {
      return fail(ErrorCode::invalid_input,
                  fmt::format("version {} of {} cannot be read through poly-secret-mcp: its vault_read tool has no "
                              "version argument, so only the current version ({}) is readable; use store.backend: "
                              "vault to read past versions",
                              *version, at, stored.info.version));
    }
    spdlog::debug("MCP vault_read {}: version {} (fingerprint {})", at, stored.info.version, stored.data.fingerprint);
    return stored;
  }

  // No check-and-set in the server: read the current version, write, then verify that exactly
  // one version was added and that it holds what keyd sent.
  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    const std::string at = mcp::cli_path(m_options.mount, path);
    int current = 0;
    if (auto meta = metadata(path)) {
      current = meta->current_version;
    } else if (meta.error().code != ErrorCode::not_found) {
      return fail(meta.error());
    }
    if (current != cas) {
      return fail(ErrorCode::conflict, fmt::format("{}: version {} is current, not {} as expected (a concurrent "
                                                   "writer); nothing was written",
                                                   at, current, cas));
    }
    KEYD_ASSIGN_OR_RETURN(SecretJson arguments, mcp::write_arguments(at, data));
    KEYD_ASSIGN_OR_RETURN(const SecretJson doc, call_json("vault_write", at, std::move(arguments)));
    KEYD_ASSIGN_OR_RETURN(const int written, vault::parse_write(doc, "tool vault_write (" + at + ")"));
    if (written != cas + 1) {
      return fail(ErrorCode::conflict,
                  fmt::format("{}: concurrent writer: keyd's write became version {}, not {}: another version was "
                              "written between keyd's check and its write (poly-secret-mcp offers no "
                              "check-and-set). Nothing was delivered; check `keyd history` and run `keyd sync`",
                              at, written, cas + 1));
    }
    KEYD_ASSIGN_OR_RETURN(const ports::StoredVersion back, read(path, std::nullopt));
    if (back.info.version != written) {
      return fail(ErrorCode::conflict,
                  fmt::format("{}: concurrent writer: version {} is current right after keyd wrote version {}. "
                              "Nothing was delivered; check `keyd history` and run `keyd sync`",
                              at, back.info.version, written));
    }
    if (!(back.data.key_text == data.key_text) || back.data.fingerprint != data.fingerprint) {
      return fail(ErrorCode::conflict,
                  fmt::format("{}: version {} does not hold what keyd wrote (a concurrent writer, or a server that "
                              "altered the data). Nothing was delivered; check `keyd history`",
                              at, written));
    }
    spdlog::debug("MCP vault_write {}: version {} verified (fingerprint {})", at, written, data.fingerprint);
    return written;
  }

 private:
  // The session, started on first use; after a broken conversation (timeout, exit, garbage) the
  // server is stopped and the next call starts a new one.
  Result<mcp::ToolResult> call(std::string_view tool, SecretJson arguments) {
    if (!m_session) {
      mcp::SessionOptions options{{m_options.command, {}}, m_options.timeout, k_required_tools};
      for (const auto& [name, value] : m_options.environment) options.command.env.emplace_back(name, value.clone());
      KEYD_ASSIGN_OR_RETURN(m_session, mcp::McpSession::open(options));
    }
    auto result = m_session->call_tool(tool, std::move(arguments));
    if (!result && m_session->broken()) m_session.reset();
    return result;
  }

  Result<SecretJson> call_json(std::string_view tool, std::string_view at, SecretJson arguments) {
    KEYD_ASSIGN_OR_RETURN(const mcp::ToolResult result, call(tool, std::move(arguments)));
    const std::string server = mcp::describe_server(m_options.command);
    if (result.is_error) return fail(mcp::tool_failure(tool, at, result.text).with_context(server));
    auto doc = mcp::parse_tool_json(tool, at, result.text);
    if (!doc) return fail(doc.error().with_context(server));
    return doc;
  }

  McpOptions m_options;
  std::unique_ptr<mcp::McpSession> m_session;
};

}  // namespace

Result<std::unique_ptr<ports::SecretStore>> make_mcp_store(McpOptions options) {
  if (options.command.empty() || options.command.front().empty()) {
    return fail(ErrorCode::invalid_config, "store.mcp.command is required with store.backend: mcp");
  }
  if (options.mount.empty()) return fail(ErrorCode::invalid_config, "no Vault KV mount configured for store.mcp");
  return std::make_unique<McpStore>(std::move(options));
}

}  // namespace keyd::adapters
