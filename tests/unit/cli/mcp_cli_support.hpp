// Helpers for end-to-end tests of the keyd binary with store.backend mcp: the poly-secret-mcp test
// double (real MCP SDK server) in front of a Vault double, keyd.yaml for it, and vault.yaml for the
// Vault backend on the same double (cross-backend reads).
#pragma once

#include "support/mcp_double.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace keyd::testing {

inline constexpr const char* k_mcp_swarm_data_path = "secret/data/ipfs-overlay/swarm-key";
inline constexpr const char* k_swarms_yaml =
    "audit: {file: .keyd/audit.jsonl}\n"
    "swarms:\n"
    "  - name: ipfs-overlay\n"
    "    path: ipfs-overlay/swarm-key\n"
    "    targets:\n"
    "      - {type: file, path: .keyd/ipfs/swarm.key}\n";

class McpCli : public ::testing::Test {
 protected:
  McpCli() {
    write_config();
    write_file(dir / "vault.yaml", "store:\n  backend: vault\n  vault:\n    address: " + mcp.vault.address() +
                                       "\n    auth: {method: token, token_file: " + mcp.token_file().string() + "}\n" +
                                       k_swarms_yaml);
  }

  // keyd.yaml with the MCP store (these faults, this timeout) and one file target.
  void write_config(const std::vector<std::string>& faults = {}, const std::string& timeout = "10s",
                    const std::string& extra_store_lines = {}) {
    write_file(dir / "keyd.yaml", mcp.store_yaml(faults, timeout, extra_store_lines) + k_swarms_yaml);
    mcp.clear_pid_file();
  }

  // keyd with --config <config> appended (keyd.yaml: the MCP store; vault.yaml: the Vault store).
  CommandResult keyd(std::vector<std::string> args, const std::string& config = "keyd.yaml",
                     const std::map<std::string, std::string>& env = {}) {
    args.insert(args.end(), {"--config", config});
    return run_keyd(args, dir.path(), env);
  }
  CommandResult ok(std::vector<std::string> args, const std::string& config = "keyd.yaml") {
    auto r = keyd(std::move(args), config);
    EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
    return r;
  }
  nlohmann::json ok_json(std::vector<std::string> args, const std::string& config = "keyd.yaml") {
    args.insert(args.end(), {"--output", "json"});
    const auto r = ok(std::move(args), config);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }

  // What Vault holds for the swarm (root token, bypassing keyd).
  nlohmann::json stored_data() {
    const auto reply = mcp.vault.api("GET", k_mcp_swarm_data_path);
    EXPECT_EQ(reply.status, 200) << reply.raw_body;
    return reply.body["data"];
  }
  [[nodiscard]] std::filesystem::path target() const { return dir / ".keyd/ipfs/swarm.key"; }

  // The server keyd started is gone once keyd exited (keyd reaped it).
  void expect_server_gone() const {
    const pid_t pid = mcp.server_pid();
    if (pid > 0) {
      EXPECT_TRUE(process_gone(pid)) << "MCP server " << pid << " outlived keyd";
    }
  }

  McpDouble mcp;
  TempDir dir;
};

inline bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace keyd::testing
