// The "mcp" backend: keys kept in Vault KV v2 through poly-secret-mcp, an MCP server started as a
// child process (JSON-RPC 2.0 over stdio) whose tools shell out to the vault CLI. The data layout is
// the Vault backend's ({"swarm.key", "fingerprint", "issued_by", "reason"} at <mount>/<path>), so
// either backend reads what the other wrote.
//
// Weaker than the Vault backend, because the server offers no check-and-set and no versioned read:
// a write reads the current version, writes, then requires the returned version to be exactly one
// more and a read-back to match (else a conflict naming a concurrent writer); past versions cannot
// be read (read() with a version other than the current one is an error that says so).
#pragma once

#include "keyd/ports/secret_store.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace keyd::adapters {

struct McpOptions {
  std::vector<std::string> command;  // argv; argv[0] is looked up in the child's PATH
  // The child's whole environment (configured values, file contents, inherited variables).
  std::vector<std::pair<std::string, Secret>> environment;
  std::string mount = "secret";               // vault kv CLI paths are "<mount>/<store path>"
  std::chrono::milliseconds timeout{10'000};  // per request, and for start-up + initialize
};

// The server starts lazily on first use and lives as long as the store (one per keyd process);
// destroying the store stops it (stdin closed, then SIGTERM, then SIGKILL to its process group).
[[nodiscard]] Result<std::unique_ptr<ports::SecretStore>> make_mcp_store(McpOptions options);

}  // namespace keyd::adapters
