// Helpers for the MCP client tests: sessions on the scripted server (tests/doubles/mcp_scripted.py)
// and McpStores on the SDK test double (tests/doubles/mcp/server.mjs) with a Vault double.
#pragma once

#include "keyd/adapters/mcp/mcp_store.hpp"

#include "adapter_test_helpers.hpp"
#include "mcp/mcp_session.hpp"
#include "support/mcp_double.hpp"
#include "vault_test_helpers.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters::mcp_test {

using nlohmann::json;
using namespace std::chrono_literals;
using test_helpers::contains;
using vault_test::key_hex;
using vault_test::key_text;
using vault_test::version_data;

inline constexpr const char* k_path = "ipfs-overlay/swarm-key";
inline const std::vector<std::string> k_vault_tools{"vault_read", "vault_write", "vault_metadata"};

// The handshake step of a well-behaved scripted server offering `tools`.
inline json handshake(std::vector<std::string> tools = k_vault_tools) { return {{"handshake", {{"tools", tools}}}}; }

// A scripted server in a temp dir: write(steps) then open() a session on it.
class ScriptedServer {
 public:
  // Writes the script; returns the command that runs it.
  std::vector<std::string> write(const json& steps) {
    testing::write_file(dir / "script.json", steps.dump());
    return {"/usr/bin/python3", testing::mcp_scripted_script(), (dir / "script.json").string()};
  }
  mcp::SessionOptions options(const json& steps, std::chrono::milliseconds timeout = 3s) {
    mcp::SessionOptions o;
    o.command.argv = write(steps);
    o.timeout = timeout;
    o.required_tools = k_vault_tools;
    return o;
  }
  Result<std::unique_ptr<mcp::McpSession>> open(const json& steps, std::chrono::milliseconds timeout = 3s) {
    return mcp::McpSession::open(options(steps, timeout));
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (dir / name).string(); }

  testing::TempDir dir;
};

inline std::string tool_text(const json& value) { return value.dump(2); }

// The answer of a poly-secret-mcp tool: {"content":[{"type":"text","text":…}]}.
inline json text_result(const std::string& text, bool is_error = false) {
  json r{{"content", json::array({{{"type", "text"}, {"text", text}}})}};
  if (is_error) r["isError"] = true;
  return r;
}

// An McpStore on the SDK double with these faults (and a short timeout).
inline std::unique_ptr<ports::SecretStore> make_double_store(const testing::McpDouble& mcp,
                                                             const std::vector<std::string>& faults = {},
                                                             std::chrono::milliseconds timeout = 20s) {
  McpOptions options;
  options.command = mcp.command();
  for (const auto& [name, value] : mcp.environment(faults)) {
    options.environment.emplace_back(name, Secret::from_text(value));
  }
  options.timeout = timeout;
  auto made = make_mcp_store(std::move(options));
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(*made);
}

// No key text (hex of seeds 1..9, or its start) and no token in a message.
inline void expect_clean(const std::string& text, const std::string& token = {}) {
  for (int seed = 1; seed <= 9; ++seed) {
    EXPECT_FALSE(contains(text, key_hex(seed).substr(0, 16))) << "leaked key text: " << text;
  }
  EXPECT_FALSE(contains(text, "/key/swa")) << "leaked key text: " << text;
  if (!token.empty()) {
    EXPECT_FALSE(contains(text, token)) << "leaked the token: " << text;
  }
}

}  // namespace keyd::adapters::mcp_test
