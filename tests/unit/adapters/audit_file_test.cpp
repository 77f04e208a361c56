// The hash-chained audit file: format, tamper detection by verify, torn lines, concurrency, modes.
#include "keyd/adapters/audit/audit_file.hpp"

#include "keyd/common/digest.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::TempDir;
using keyd::testing::write_file;

const std::string k_genesis(64, '0');

ports::AuditEvent event(int i) {
  return ports::AuditEvent{"2026-11-27T23:27:25.000000000Z", "alice", "rotate", "ipfs-overlay", i, "fp-" + std::to_string(i),
                           "success", "", ""};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

class AuditFileTest : public ::testing::Test {
 protected:
  void append_n(int n) {
    const auto log = make_audit_file(m_file);
    for (int i = 1; i <= n; ++i) ASSERT_TRUE(log->append(event(i))) << "append " << i;
  }
  AuditVerifyReport verify() {
    const auto report = verify_audit_file(m_file);
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
    return report ? *report : AuditVerifyReport{};
  }
  void expect_bad(std::size_t line, const std::string& problem) {
    const auto report = verify();
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_line, line);
    EXPECT_EQ(report.problem, problem);
  }
  std::vector<std::string> lines() { return lines_of(read_file(m_file)); }
  void rewrite(const std::vector<std::string>& lines) { write_file(m_file, joined(lines)); }

  TempDir m_dir;
  std::filesystem::path m_file = m_dir / "logs/audit.jsonl";
};

TEST_F(AuditFileTest, LineFormatIsCompactJsonChainedBySha256) {
  const auto log = make_audit_file(m_file);
  ASSERT_TRUE(log->append(event(1)));
  ASSERT_TRUE(log->append(ports::AuditEvent{"2026-11-27T23:30:00.000000000Z", "bob", "generate", "", std::nullopt, "fp",
                                            "failure", "store x: unavailable", ""}));
  const auto l = lines();
  ASSERT_EQ(l.size(), 2U);
  EXPECT_EQ(l[0], R"({"seq":1,"time":"2026-11-27T23:27:25.000000000Z","actor":"alice","action":"rotate",)"
                  R"("swarm":"ipfs-overlay","version":1,"fingerprint":"fp-1","outcome":"success","prev":")" +
                      k_genesis + "\"}");
  EXPECT_EQ(l[1], R"({"seq":2,"time":"2026-11-27T23:30:00.000000000Z","actor":"bob","action":"generate",)"
                  R"("fingerprint":"fp","outcome":"failure","error":"store x: unavailable","prev":")" +
                      sha256_hex(l[0]) + "\"}");
  const auto head = nlohmann::json::parse(read_file(m_dir / "logs/audit.jsonl.head"));
  EXPECT_EQ(head, (nlohmann::json{{"seq", 2}, {"hash", sha256_hex(l[1])}}));
}

TEST_F(AuditFileTest, AppendedEntriesVerify) {
  append_n(7);
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 7U);
  EXPECT_EQ(report.first_bad_line, 0U);
}

TEST_F(AuditFileTest, FilesArePrivate) {
  append_n(1);
  struct stat st{};
  ASSERT_EQ(::stat(m_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  ASSERT_EQ(::stat((m_dir / "logs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  ASSERT_EQ(::stat((m_dir / "logs/audit.jsonl.head").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST_F(AuditFileTest, MissingFileIsNotFoundAndEmptyFileIsOk) {
  const auto missing = verify_audit_file(m_file);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  write_file(m_dir / "empty.jsonl", "");
  const auto empty = verify_audit_file(m_dir / "empty.jsonl");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->ok);
  EXPECT_EQ(empty->entries, 0U);
}

TEST_F(AuditFileTest, EditedLineIsNamedByTheLineAfterIt) {
  append_n(5);
  auto l = lines();
  l[2].replace(l[2].find("alice"), 5, "mallory");  // line 3
  rewrite(l);
  expect_bad(4, "line 4: prev hash does not match line 3 (line 3 was changed, or lines were removed or reordered)");
}

TEST_F(AuditFileTest, EditedFirstLineIsNamedByLineTwo) {
  append_n(3);
  auto l = lines();
  l[0].replace(l[0].find("success"), 7, "failure");
  rewrite(l);
  expect_bad(2, "line 2: prev hash does not match line 1 (line 1 was changed, or lines were removed or reordered)");
}

TEST_F(AuditFileTest, EditedLastLineIsCaughtByTheHeadFile) {
  append_n(4);
  auto l = lines();
  l[3].replace(l[3].find("fp-4"), 4, "fp-X");
  rewrite(l);
  expect_bad(4, "line 4: does not match the hash the head file records for seq 4 (line 4 was changed)");
}

TEST_F(AuditFileTest, InvalidJsonIsNamed) {
  append_n(4);
  auto l = lines();
  l[2] = l[2].substr(0, 10);
  rewrite(l);
  expect_bad(3, "line 3: not valid JSON");
}

TEST_F(AuditFileTest, JsonWithoutChainFieldsIsNotAnEntry) {
  append_n(2);
  auto l = lines();
  l.insert(l.begin() + 1, R"({"hello":"world"})");
  rewrite(l);
  expect_bad(2, R"(line 2: not an audit entry (missing or invalid "seq" or "prev"))");
}

TEST_F(AuditFileTest, DeletedMiddleLineIsReportedAsRemoval) {
  append_n(5);
  auto l = lines();
  l.erase(l.begin() + 2);  // seq 3
  rewrite(l);
  expect_bad(3, "line 3: seq 4 follows seq 2 (entries removed)");
}

TEST_F(AuditFileTest, DeletedFirstLineIsReportedAsRemovalFromTheStart) {
  append_n(3);
  auto l = lines();
  l.erase(l.begin());
  rewrite(l);
  expect_bad(1, "line 1: seq 2 but the log starts at seq 1 (entries removed from the start)");
}

TEST_F(AuditFileTest, SwappedLinesAreReportedAsReordering) {
  append_n(5);
  auto l = lines();
  std::swap(l[1], l[2]);  // lines 2 and 3
  rewrite(l);
  expect_bad(2, "line 2: seq 3 follows seq 1 (entries reordered)");
}

TEST_F(AuditFileTest, DuplicatedLineIsReported) {
  append_n(3);
  auto l = lines();
  l.insert(l.begin() + 2, l[1]);
  rewrite(l);
  expect_bad(3, "line 3: seq 2 follows seq 2 (entries reordered or duplicated)");
}

TEST_F(AuditFileTest, DeletedLastLinesAreCaughtByTheHeadFileAndBlockAppends) {
  append_n(6);
  auto l = lines();
  l.resize(4);
  rewrite(l);
  expect_bad(5, "file ends at seq 4 but the head file records seq 6 (entries removed from the end)");

  // Appending would erase the evidence, so it is refused.
  const auto appended = make_audit_file(m_file)->append(event(7));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::integrity);
  EXPECT_NE(appended.error().message.find("head file records seq 6"), std::string::npos) << appended.error().message;
  EXPECT_EQ(lines().size(), 4U);
}

TEST_F(AuditFileTest, MissingHeadFileIsReported) {
  append_n(3);
  std::filesystem::remove(m_dir / "logs/audit.jsonl.head");
  const auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "head file " + (m_dir / "logs/audit.jsonl.head").string() +
                                " is missing (cannot tell whether entries were removed from the end)");
}

TEST_F(AuditFileTest, HeadOneEntryBehindIsACrashWindowAndIsRepaired) {
  append_n(3);
  const auto head_file = m_dir / "logs/audit.jsonl.head";
  const std::string head_after_3 = read_file(head_file);
  append_n(1);
  write_file(head_file, head_after_3);  // as if the process died before updating the head
  EXPECT_TRUE(verify().ok);
  append_n(1);
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 5U);
}

ports::AuditEvent intent(int i) {
  auto e = event(i);
  e.outcome = ports::k_outcome_intent;
  return e;
}

// "seq" of the head file.
int head_seq(const std::filesystem::path& head_file) { return nlohmann::json::parse(read_file(head_file)).at("seq"); }

// An intent leaves the head to its result: one head update per rotation fewer. Meanwhile the head
// is one entry behind, which verify and the next append (of any process) accept because the chain
// confirms it, as after a crash; the result's append brings it up to date.
TEST_F(AuditFileTest, AnIntentLeavesTheHeadUpdateToItsResult) {
  const auto head_file = m_dir / "logs/audit.jsonl.head";
  const auto log = make_audit_file(m_file);
  ASSERT_TRUE(log->append(event(1)));
  ASSERT_EQ(head_seq(head_file), 1);
  const std::string head_before = read_file(head_file);

  const auto anchor = log->append_anchored(intent(2));
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(anchor->seq, 2);
  EXPECT_EQ(read_file(head_file), head_before) << "the intent rewrote the head";
  EXPECT_TRUE(verify().ok) << "a head one intent behind is a crash window, not tampering";

  // A crash here: another process appends the result (or anything else) and repairs the head.
  ASSERT_TRUE(make_audit_file(m_file)->append(event(2)));
  EXPECT_EQ(head_seq(head_file), 3);
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 3U);

  // Entries removed behind the deferred head are still caught: an intent, then the last two lines cut.
  ASSERT_TRUE(log->append_anchored(intent(4)));
  auto l = lines();
  l.resize(2);
  rewrite(l);
  expect_bad(3, "file ends at seq 2 but the head file records seq 3 (entries removed from the end)");
}

// The first entry of a new log, a torn tail, or a head that already lags: the intent's head is
// written at once, as every other entry's.
TEST_F(AuditFileTest, AnIntentOfANewLogOrAfterALaggingHeadWritesTheHead) {
  const auto head_file = m_dir / "logs/audit.jsonl.head";
  const auto log = make_audit_file(m_file);
  ASSERT_TRUE(log->append_anchored(intent(1)));
  ASSERT_TRUE(std::filesystem::exists(head_file));
  EXPECT_EQ(head_seq(head_file), 1);

  ASSERT_TRUE(log->append_anchored(intent(2)));  // lags by one now
  EXPECT_EQ(head_seq(head_file), 1);
  ASSERT_TRUE(log->append_anchored(intent(3)));  // would lag by two: written
  EXPECT_EQ(head_seq(head_file), 3);
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 3U);
}

TEST_F(AuditFileTest, TornLastLineIsReportedAndTheNextAppendStartsANewLine) {
  append_n(3);
  const std::string before = read_file(m_file);
  const std::string torn = R"({"seq":4,"time":"2026-11-27T23:27:25.0)";
  write_file(m_file, before + torn);  // a crash in the middle of an append
  expect_bad(4, "line 4: torn entry (an append was interrupted, e.g. by a crash; the next append starts a new "
                "line); the rest of the chain verifies");

  append_n(2);
  const auto l = lines();
  ASSERT_EQ(l.size(), 6U);
  EXPECT_EQ(l[3], torn);
  const auto repair = nlohmann::json::parse(l[4]);
  EXPECT_EQ(repair["seq"], 4);
  EXPECT_EQ(repair["after_torn_line"], true);
  EXPECT_EQ(repair["prev"], sha256_hex(torn));
  EXPECT_EQ(nlohmann::json::parse(l[5])["seq"], 5);

  const auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.entries, 5U);
  EXPECT_EQ(report.first_bad_line, 4U);
  EXPECT_EQ(report.problem, "line 4: torn entry (an append was interrupted, e.g. by a crash; line 5 starts on a new "
                            "line and chains over it); the rest of the chain verifies");
}

TEST_F(AuditFileTest, TornLineDoesNotHideLaterTampering) {
  append_n(2);
  write_file(m_file, read_file(m_file) + R"({"seq":3,"ti)");
  append_n(3);
  auto l = lines();
  l[4].replace(l[4].find("alice"), 5, "eve");  // line 5, seq 4
  rewrite(l);
  expect_bad(3, "line 3: torn entry (an append was interrupted, e.g. by a crash; line 4 starts on a new line and "
                "chains over it); after it: line 6: prev hash does not match line 5 (line 5 was changed, or lines "
                "were removed or reordered)");
}

TEST_F(AuditFileTest, TornFirstAppendIsRepaired) {
  std::filesystem::create_directories(m_file.parent_path());
  write_file(m_file, R"({"seq":1,"time")");
  append_n(2);
  const auto l = lines();
  ASSERT_EQ(l.size(), 3U);
  EXPECT_EQ(nlohmann::json::parse(l[1])["seq"], 1);
  EXPECT_EQ(verify().entries, 2U);
}

TEST_F(AuditFileTest, CompleteEntryMissingOnlyItsNewlineIsKept) {
  append_n(3);
  std::string text = read_file(m_file);
  text.pop_back();  // the crash hit between the object and its newline
  write_file(m_file, text);
  EXPECT_TRUE(verify().ok);
  append_n(1);
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 4U);
  EXPECT_EQ(read_file(m_file).find("after_torn_line"), std::string::npos);
}

TEST_F(AuditFileTest, LongLinesAreReadBackAcrossChunks) {
  const auto log = make_audit_file(m_file);
  for (int i = 0; i < 4; ++i) {
    auto e = event(i);
    e.error = std::string(9000 + static_cast<std::size_t>(i), 'x');
    ASSERT_TRUE(log->append(e));
  }
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 4U);
}

TEST_F(AuditFileTest, RefusesEventsThatMentionAKeyPath) {
  auto e = event(1);
  e.error = "read secret/data/key/swarm/psk/ipfs-overlay failed";
  const auto appended = make_audit_file(m_file)->append(e);
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::internal);
  EXPECT_NE(appended.error().message.find("'error'"), std::string::npos) << appended.error().message;
  EXPECT_FALSE(std::filesystem::exists(m_file));

  auto t = event(2);
  t.target = "/key/swarm/psk/x";
  EXPECT_FALSE(make_audit_file(m_file)->append(t).has_value());
}

TEST_F(AuditFileTest, TwoProcessesAppendingConcurrentlyKeepTheChain) {
  constexpr int k_per_process = 50;
  std::array<pid_t, 2> children{};
  for (auto& child : children) {
    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const auto log = make_audit_file(m_file);
      int failures = 0;
      for (int i = 0; i < k_per_process; ++i) failures += log->append(event(i)) ? 0 : 1;
      ::_exit(failures == 0 ? 0 : 1);
    }
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2U * k_per_process);
  EXPECT_EQ(lines().size(), 2U * k_per_process);
}

}  // namespace
}  // namespace keyd::adapters
