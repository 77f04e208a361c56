// `keyd rotate` when Vault stores the write but its reply is lost (issue 14, item 2): a fault proxy
// (tests/doubles/fault_proxy.py) between keyd and the Vault double lets the check-and-set write
// commit, then answers 500, answers too late, or closes the connection. keyd must recognise its own
// version on read-back: exit 0, exactly one new version, delivered and audited as a success. A
// genuine concurrent writer is still a conflict. The same for the MCP backend, with the proxy
// between the poly-secret-mcp double and the Vault double.
#include "mcp_cli_support.hpp"
#include "support/fault_proxy.hpp"
#include "vault_cli_support.hpp"

#include <sstream>

namespace keyd::testing {
namespace {

using nlohmann::json;

constexpr const char* k_data_path = "^/v1/secret/data/ipfs-overlay/swarm-key$";

json write_fault(const std::string& action, int delay_ms = 0) {
  // keyd writes with POST, the vault CLI (so the MCP server) with PUT.
  return {{"method", {"POST", "PUT"}}, {"path", k_data_path}, {"action", action}, {"delay_ms", delay_ms}, {"times", 1}};
}

// The entries of keyd's audit file with this action, oldest first.
std::vector<json> audit_entries(const std::filesystem::path& file, const std::string& action) {
  std::vector<json> out;
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    json entry = json::parse(line);
    // A store write's "intent" entry comes before its result; these tests count results.
    if (entry.value("action", "") == action && entry.value("outcome", "") != "intent") out.push_back(std::move(entry));
  }
  return out;
}

struct LostReply {
  const char* name;
  json rule;
};

const LostReply k_lost_replies[] = {
    {"error-after-commit", write_fault("respond")},
    {"delay-after-commit", write_fault("delay", 2'500)},  // keyd's Vault timeout is 1 s
    {"drop-after-commit", write_fault("drop")},
};

class LostReplyVault : public VaultCli {
 protected:
  LostReplyVault() {
    write_config("    address: " + proxy.address() + "\n    timeout: 1s\n");
    const json first = ok_json({"rotate"}, e);  // version 1, delivered, through the proxy
    EXPECT_EQ(first["version"], 1);
    m_delivered = read_file(target());
  }

  [[nodiscard]] std::filesystem::path target() const { return dir / ".keyd/ipfs/swarm.key"; }
  [[nodiscard]] std::vector<json> rotations() const { return audit_entries(dir / ".keyd/audit.jsonl", "rotate"); }

  FaultProxy proxy{vault.address()};
  const std::map<std::string, std::string> e = token_env(vault.root_token());
  std::string m_delivered;
};

TEST_F(LostReplyVault, AWriteWhoseReplyWasLostIsRecognisedDeliveredAndAuditedOnce) {
  for (const auto& lost : k_lost_replies) {
    SCOPED_TRACE(lost.name);
    const int before = stored_metadata()["current_version"].get<int>();
    proxy.add_rule(lost.rule);
    const auto r = keyd({"rotate", "--output", "json"}, e);
    ASSERT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err << "\nproxy: " << proxy.log_text();
    EXPECT_TRUE(has(r.err, "landed although its reply was lost")) << r.err;
    const json report = json::parse(r.out);

    // Exactly one new version, this run's, with the reported fingerprint, delivered to the target.
    EXPECT_EQ(report["version"], before + 1);
    EXPECT_EQ(stored_metadata()["current_version"], before + 1);
    const json stored = stored_data(before + 1);
    EXPECT_EQ(stored["data"]["fingerprint"], report["fingerprint"]);
    EXPECT_EQ(stored["data"]["reason"], "rotate");
    EXPECT_EQ(read_file(target()), stored["data"]["swarm.key"].get<std::string>());
    EXPECT_EQ(report["targets"][0]["outcome"], "changed");

    // The audit's rotate entry is a success for that version.
    const auto audited = rotations();
    ASSERT_FALSE(audited.empty());
    EXPECT_EQ(audited.back()["outcome"], "success") << audited.back().dump();
    EXPECT_EQ(audited.back()["version"], before + 1);
    EXPECT_EQ(audited.back()["fingerprint"], report["fingerprint"]);

    // The fault did happen: the proxy saw Vault accept the write and lost its reply.
    const json rule = proxy.rules().back();
    EXPECT_EQ(rule["applied"], 1) << rule.dump();
  }
  EXPECT_EQ(rotations().size(), 4U);
  ok({"audit", "verify"}, e);
}

TEST_F(LostReplyVault, AGenuineConcurrentWriterIsStillAConflict) {
  ASSERT_EQ(run_keyd({"generate", "--out", "other.key"}, dir.path()).exit_code, 0);
  const json other{{"data",
                    {{"swarm.key", read_file(dir / "other.key")},
                     {"fingerprint", "0123456789abcdef0123456789abcdef"},
                     {"issued_by", "bob"},
                     {"reason", "rotate"}}}};
  // Bob's version lands right before keyd's write, and keyd's reply is lost too: its retry meets
  // bob's version, and the read-back shows it is not keyd's.
  for (const char* action : {"respond", "delay"}) {
    SCOPED_TRACE(action);
    const int before = stored_metadata()["current_version"].get<int>();
    json rule = write_fault(action);
    rule["before"] = {{"method", "POST"}, {"path", "/v1/secret/data/ipfs-overlay/swarm-key"}, {"body", other}};
    proxy.add_rule(rule);
    const auto r = keyd({"rotate"}, e);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(has(r.err, "changed while keyd was writing (expected current version " + std::to_string(before) +
                               ", now " + std::to_string(before + 1) + "); nothing was written"))
        << r.err;
    EXPECT_FALSE(has(r.err, "landed although")) << r.err;
    EXPECT_EQ(stored_metadata()["current_version"], before + 1);  // bob's, and nothing of keyd's
    EXPECT_EQ(stored_data(before + 1)["data"]["issued_by"], "bob");
    EXPECT_EQ(read_file(target()), m_delivered);
    EXPECT_EQ(rotations().back()["outcome"], "failure");
  }
}

// The MCP backend: keyd → poly-secret-mcp double → fault proxy → Vault double. The server does not
// retry (VAULT_MAX_RETRIES=0, as the double's README asks of tests), so each fault reaches keyd as a
// failed or unanswered vault_write after Vault stored it.
class LostReplyMcp : public McpCli {
 protected:
  LostReplyMcp() {
    write_proxied_config("10s");
    ok({"rotate"});  // version 1, delivered, through the proxy
  }

  void write_proxied_config(const std::string& timeout) {
    std::string yaml = mcp.store_yaml({}, timeout);
    const std::string vault_addr = "\"" + mcp.vault.address() + "\"";
    const auto at = yaml.find(vault_addr);
    ASSERT_NE(at, std::string::npos) << yaml;
    yaml.replace(at, vault_addr.size(), "\"" + proxy.address() + "\"");
    const std::string env = "    env:\n";
    yaml.insert(yaml.find(env) + env.size(), "      VAULT_MAX_RETRIES: \"0\"\n");
    write_file(dir / "keyd.yaml", yaml + k_swarms_yaml);
  }

  FaultProxy proxy{mcp.vault.address()};
};

TEST_F(LostReplyMcp, AVaultWriteWhoseReplyWasLostIsRecognisedOnReadBack) {
  // The delay outlasts keyd's tool-call timeout: keyd gives up on vault_write and stops the server.
  const LostReply lost_replies[] = {
      {"error-after-commit", write_fault("respond")},
      {"delay-after-commit", write_fault("delay", 6'000)},
      {"drop-after-commit", write_fault("drop")},
  };
  for (const auto& lost : lost_replies) {
    SCOPED_TRACE(lost.name);
    write_proxied_config(std::string(lost.name) == "delay-after-commit" ? "3s" : "10s");
    const int before = stored_data()["metadata"]["version"].get<int>();
    proxy.add_rule(lost.rule);
    const auto r = keyd({"rotate", "--output", "json"});
    ASSERT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err << "\nproxy: " << proxy.log_text();
    EXPECT_TRUE(has(r.err, "landed although its reply was lost")) << r.err;
    const json report = json::parse(r.out);
    const json stored = stored_data();
    EXPECT_EQ(report["version"], before + 1);
    EXPECT_EQ(stored["metadata"]["version"], before + 1);  // exactly one new version
    EXPECT_EQ(stored["data"]["fingerprint"], report["fingerprint"]);
    EXPECT_EQ(read_file(target()), stored["data"]["swarm.key"].get<std::string>());
    const auto audited = audit_entries(dir / ".keyd/audit.jsonl", "rotate");
    EXPECT_EQ(audited.back()["outcome"], "success") << audited.back().dump();
    EXPECT_EQ(audited.back()["version"], before + 1);
    EXPECT_EQ(proxy.rules().back()["applied"], 1);
    expect_server_gone();
  }
}

}  // namespace
}  // namespace keyd::testing
