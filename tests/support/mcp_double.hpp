// McpDouble: the poly-secret-mcp test double (tests/doubles/mcp/server.mjs, the real MCP SDK over
// stdio) wired to a VaultDouble, for store- and CLI-level tests of keyd's "mcp" backend.
//
//   keyd::testing::McpDouble mcp;                        // starts a Vault double (the server is started by keyd)
//   mcp.command();                                       // {"/usr/bin/node", ".../server.mjs"}
//   mcp.environment({"crash-on-write"});                 // VAULT_ADDR, VAULT_TOKEN, MCP_DOUBLE_* for the child
//   mcp.store_yaml({"silent"}, "2s");                    // a store: section for keyd.yaml
//   mcp.server_pid();                                    // from MCP_DOUBLE_PID_FILE (0 before the server ran)
//   process_gone(pid);                                   // no such process (reaped, not a zombie)
//
// The token reaches the server through a file (mcp.token_file(), mode 0600) named under
// store.mcp.env_files, as keyd's configuration requires. Throws std::runtime_error when node or the
// server's npm packages are missing (run scripts/install-mcp-test-tools.sh). Not thread-safe.
#pragma once

#include "support/vault_double.hpp"

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace keyd::testing {

class McpDouble {
 public:
  McpDouble();

  [[nodiscard]] std::vector<std::string> command() const;
  // The child's whole environment: VAULT_ADDR, VAULT_TOKEN, MCP_DOUBLE_PID_FILE, MCP_DOUBLE_CALL_LOG
  // and, when faults are given, MCP_DOUBLE_FAULT.
  [[nodiscard]] std::map<std::string, std::string> environment(const std::vector<std::string>& faults = {}) const;
  // "store:\n  backend: mcp\n  mcp:\n    command: [...]\n    env: {...}\n    env_files: {VAULT_TOKEN: ...}\n ..."
  [[nodiscard]] std::string store_yaml(const std::vector<std::string>& faults = {}, const std::string& timeout = "10s",
                                       const std::string& extra_lines = {}) const;

  [[nodiscard]] std::filesystem::path token_file() const { return vault.dir() / "mcp-vault-token"; }
  [[nodiscard]] std::filesystem::path pid_file() const { return vault.dir() / "mcp-server.pid"; }
  [[nodiscard]] std::filesystem::path call_log() const { return vault.dir() / "mcp-calls.jsonl"; }
  // The pid the last server wrote (0 when none ran yet).
  [[nodiscard]] pid_t server_pid() const;
  // Forget the last server's pid (before starting another).
  void clear_pid_file() const;

  VaultDouble vault;
};

// true when no process `pid` exists (reaped, so not a zombie either).
[[nodiscard]] bool process_gone(pid_t pid);

// /usr/bin/node (or node in PATH) and the server script; throw when not installed.
[[nodiscard]] std::string node_program();
[[nodiscard]] std::string mcp_double_script();
// tests/doubles/mcp_scripted.py.
[[nodiscard]] std::string mcp_scripted_script();

}  // namespace keyd::testing
