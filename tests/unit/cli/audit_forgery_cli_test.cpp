// Issue 14 item 5: a forged audit log (an entry deleted, the rest re-chained, the head file
// rewritten) passes the chain check, as it always did, but `keyd audit verify --config` finds it
// through the audit anchors stored with each version, naming the version and the seq.
#include "support/http_test_client.hpp"
#include "cli_support.hpp"

#include <sstream>

namespace keyd::testing {
namespace {

using nlohmann::ordered_json;

std::vector<ordered_json> read_log(const std::filesystem::path& file) {
  std::vector<ordered_json> out;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);) out.push_back(ordered_json::parse(line));
  return out;
}

// What someone who can write the files but holds no store credential can do: renumber, re-chain
// and rewrite the head so the chain check passes.
void write_rechained(const std::filesystem::path& file, std::vector<ordered_json> entries) {
  std::string text;
  std::string prev(64, '0');
  std::string last;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entries[i]["seq"] = i + 1;
    entries[i]["prev"] = prev;
    last = entries[i].dump();
    prev = sha256_hex(last);
    text += last + "\n";
  }
  write_file(file, text);
  write_file(file.string() + ".head", ordered_json{{"seq", entries.size()}, {"hash", prev}}.dump() + "\n");
}

class AuditForgery : public KeydCli {
 protected:
  AuditForgery() {
    ok({"rotate"});
    ok({"rotate"});
    ok({"rotate"});
  }
  std::filesystem::path log() const { return dir / ".keyd/audit.jsonl"; }
};

TEST_F(AuditForgery, AnUntouchedLogIsClean) {
  const auto r = ok({"audit", "verify"});
  EXPECT_NE(r.out.find("hash chain intact; 3 stored version(s) of 1 swarm(s) accounted for, 3 anchored"),
            std::string::npos)
      << r.out;
}

TEST_F(AuditForgery, ADeletedAndRechainedEntryIsReportedWithTheVersionAndSeq) {
  auto entries = read_log(log());
  // Remove version 1's delivery entry (the 3rd line: intent, success, sync) and re-chain the rest.
  ASSERT_EQ(entries[2]["action"], "sync");
  entries.erase(entries.begin() + 2);
  write_rechained(log(), entries);

  const auto plain = keyd({"audit", "verify", "--file", ".keyd/audit.jsonl"});
  EXPECT_EQ(plain.exit_code, 0) << "the chain alone cannot tell: " << plain.err;
  EXPECT_NE(plain.out.find("hash chain intact"), std::string::npos);

  const auto checked = keyd({"audit", "verify", "--config", "keyd.yaml"});
  EXPECT_EQ(checked.exit_code, 1) << checked.out;
  // Version 2's intent was seq 4; after the deletion seq 4 is another line.
  EXPECT_NE(checked.err.find("swarm ipfs-overlay version 2: the audit entry at seq 4 is not the one anchored in the "
                             "store"),
            std::string::npos)
      << checked.err;
  EXPECT_NE(checked.err.find("version 3:"), std::string::npos) << checked.err;
  EXPECT_EQ(checked.err.find("version 1:"), std::string::npos) << "version 1's intent precedes the deletion";
}

TEST_F(AuditForgery, ATruncatedLogIsReported) {
  auto entries = read_log(log());
  entries.resize(4);  // version 1's three entries and version 2's intent
  write_rechained(log(), entries);
  EXPECT_EQ(keyd({"audit", "verify", "--file", ".keyd/audit.jsonl"}).exit_code, 0);
  const auto checked = keyd({"audit", "verify", "--config", "keyd.yaml"});
  EXPECT_EQ(checked.exit_code, 1);
  EXPECT_NE(checked.err.find("version 3: the audit entry it is anchored to (seq 7) is missing"), std::string::npos)
      << checked.err;
}

// The documented limit (docs/threat-model.md): entries after the newest anchor are protected by
// the chain and the head file only, so deleting the last delivery entry and re-chaining goes unseen.
TEST_F(AuditForgery, EntriesAfterTheNewestAnchorAreNotProtected) {
  auto entries = read_log(log());
  ASSERT_EQ(entries.back()["action"], "sync");
  entries.pop_back();
  write_rechained(log(), entries);
  const auto checked = keyd({"audit", "verify", "--config", "keyd.yaml"});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
}

}  // namespace
}  // namespace keyd::testing
