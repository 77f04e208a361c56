// audit.sink stdout through the keyd binary against the Vault double, with the project's keyd
// policy: the lines go to standard output (to standard error when stdout is a result a program
// reads: --output json, --out -), the head is in Vault, and keyd audit verify checks the lines
// collected from every run against it and the stored versions.
#include "vault_cli_support.hpp"

#include "keyd/common/digest.hpp"

#include <sstream>

namespace keyd::testing {
namespace {

using nlohmann::json;

class AuditStdoutCli : public VaultCli {
 protected:
  AuditStdoutCli() {
    write_file(dir / "keyd.yaml", "store:\n  backend: vault\n  vault: {mount: secret}\n"
                                  "audit: {sink: stdout}\n"
                                  "swarms:\n"
                                  "  - name: ipfs-overlay\n"
                                  "    targets:\n"
                                  "      - {type: file, path: ipfs/swarm.key}\n");
    load_policy("keyd");
    m_env = token_env(policy_token({"keyd"}));
  }
  // Every line a run printed on either stream goes to the "log pipeline".
  CommandResult logged(std::vector<std::string> args) {
    auto r = keyd(std::move(args), m_env);
    m_collected += r.out + r.err;
    return r;
  }
  static std::vector<std::string> entries_in(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("{\"seq\":")) out.push_back(line);
    }
    return out;
  }
  CommandResult verify(const std::string& collected) {
    write_file(dir / "collected.log", collected);
    return keyd({"audit", "verify", "--file", "collected.log"}, m_env);
  }

  std::map<std::string, std::string> m_env;
  std::string m_collected;
};

TEST_F(AuditStdoutCli, LinesGoToStdoutUnlessItCarriesAResultAndTheCollectedChainVerifies) {
  const auto first = logged({"rotate"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(entries_in(first.out).size(), 3U) << "intent, success and the delivery on stdout:\n" << first.out;

  const auto as_json = logged({"rotate", "--output", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_EQ(json::parse(as_json.out)["version"], 2) << "stdout is one JSON document: " << as_json.out;
  EXPECT_EQ(entries_in(as_json.err).size(), 3U) << as_json.err;

  const auto key = logged({"fetch", "--out", "-"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(key.out, stored_data()["data"]["swarm.key"].get<std::string>()) << "stdout is the key file, nothing else";
  EXPECT_EQ(entries_in(key.err).size(), 1U) << key.err;
  for (const auto& line : entries_in(m_collected)) {
    EXPECT_EQ(line.find("/key/swarm/psk/"), std::string::npos) << "key material in an audit line: " << line;
  }

  // The head in Vault: the newest entry's seq and hash, no key.
  const auto head = vault.api("GET", "secret/data/keyd/audit-head");
  ASSERT_EQ(head.status, 200) << head.raw_body;
  EXPECT_TRUE(head.body["data"]["data"]["swarm.key"].get<std::string>().empty());
  const auto lines = entries_in(m_collected);
  ASSERT_EQ(lines.size(), 7U);
  EXPECT_EQ(head.body["data"]["data"]["audit_anchor"], "7:" + sha256_hex(lines.back()));

  const auto verified = verify(m_collected);
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("7 entries from seq 1 to the head"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("2 stored version(s) of 1 swarm(s) accounted for, 2 anchored"), std::string::npos)
      << verified.out;
}

TEST_F(AuditStdoutCli, VerifyNamesWhatIsMissingAndAsksForTheCollectedLines) {
  ASSERT_EQ(logged({"rotate"}).exit_code, 0);
  ASSERT_EQ(logged({"rotate"}).exit_code, 0);
  auto lines = entries_in(m_collected);
  ASSERT_EQ(lines.size(), 6U);

  const auto no_file = keyd({"audit", "verify"}, m_env);
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
  EXPECT_NE(no_file.err.find("goes to standard output (audit.sink stdout)"), std::string::npos) << no_file.err;
  EXPECT_NE(no_file.err.find("--file"), std::string::npos) << no_file.err;

  lines.pop_back();
  std::string cut;
  for (const auto& l : lines) cut += l + "\n";
  const auto tail_cut = verify(cut);
  EXPECT_EQ(tail_cut.exit_code, 1);
  EXPECT_NE(tail_cut.err.find("seq 6 to 6 are missing (not collected yet, or removed)"), std::string::npos)
      << tail_cut.err;

}

// keyd generate audits through the store's head too; with --out - its stdout is the key file alone.
TEST_F(AuditStdoutCli, GenerateToStdoutKeepsTheKeyAloneOnStdoutAndChainsItsEntry) {
  const auto first = logged({"generate", "--out", "-"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(first.out.starts_with("/key/swarm/psk/1.0.0/\n")) << first.out;
  EXPECT_TRUE(entries_in(first.out).empty()) << "an audit line in the key file: " << first.out;
  ASSERT_EQ(entries_in(first.err).size(), 1U) << first.err;
  EXPECT_EQ(entries_in(first.err)[0].find("/key/swarm/psk/"), std::string::npos);
  const auto to_file = logged({"generate", "--out", "k.key"});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(entries_in(to_file.out).size(), 1U) << to_file.out;
  const auto verified = verify(m_collected);
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("2 entries from seq 1 to the head"), std::string::npos) << verified.out;
}

TEST_F(AuditStdoutCli, FileFlagWithAConfigWhoseAuditIsAFileIsRefusedNamingTheFile) {
  write_config("");
  const auto r = keyd({"audit", "verify", "--file", "elsewhere.jsonl"}, token_env(vault.root_token()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("audit trail is the file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace keyd::testing
