// The audit trail's group commit: concurrent appends of one process share a write and an fsync, each
// caller gets its own place in the chain, and a head left several entries behind by a crash inside
// a group is accepted only when the chain confirms it.
#include "keyd/adapters/audit/audit_file.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::TempDir;
using keyd::testing::write_file;

ports::AuditEvent event(int i) {
  return ports::AuditEvent{"2026-12-05T03:00:00.000000000Z", "keyd-daemon", "rotate", "swarm-" + std::to_string(i), i,
                           "fp-" + std::to_string(i), "success", "", ""};
}

class AuditGroupCommitTest : public ::testing::Test {
 protected:
  TempDir m_dir;
  std::filesystem::path m_file = m_dir / "audit.jsonl";
  std::filesystem::path m_head = m_dir / "audit.jsonl.head";
};

TEST_F(AuditGroupCommitTest, ConcurrentAppendsShareCommitsAndEachGetsItsOwnPlaceInTheChain) {
  const auto log = make_audit_file(m_file);
  constexpr int k_threads = 8;
  constexpr int k_each = 40;
  std::vector<std::vector<ports::AuditAnchor>> anchors(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        auto anchor = log->append_anchored(event(t * 1000 + i));
        ASSERT_TRUE(anchor.has_value()) << anchor.error().message;
        anchors[static_cast<std::size_t>(t)].push_back(*anchor);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  const auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, std::size_t{k_threads * k_each});
  std::set<std::int64_t> seqs;
  for (const auto& mine : anchors) {
    // One caller's entries keep its order.
    EXPECT_TRUE(std::ranges::is_sorted(mine, {}, &ports::AuditAnchor::seq));
    for (const auto& a : mine) seqs.insert(a.seq);
  }
  EXPECT_EQ(seqs.size(), std::size_t{k_threads * k_each});
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), k_threads * k_each);
  // The anchor each caller got is the entry it wrote (the record at that seq names its swarm).
  auto records = log->records();
  ASSERT_TRUE(records.has_value());
  for (std::size_t t = 0; t < k_threads; ++t) {
    for (std::size_t i = 0; i < k_each; ++i) {
      const ports::AuditAnchor& mine = anchors[t][i];
      const auto& rec = records->at(static_cast<std::size_t>(mine.seq - 1));
      EXPECT_EQ(rec.event.swarm, "swarm-" + std::to_string(t * 1000 + i));
      EXPECT_EQ(rec.anchor.hash, mine.hash);
    }
  }
  // Eight threads appending at once: fewer writes (and fsyncs) than entries.
  EXPECT_GT(log->commits(), 0U);
  EXPECT_LT(log->commits(), std::uint64_t{k_threads * k_each});
}

TEST_F(AuditGroupCommitTest, OneAppendAtATimeIsOneCommitEach) {
  const auto log = make_audit_file(m_file);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->append(event(i)));
  EXPECT_EQ(log->commits(), 5U);
}

// A crash between a group's fsync and its head update leaves the head several entries behind.
TEST_F(AuditGroupCommitTest, AHeadSeveralEntriesBehindIsAcceptedWhenTheChainConfirmsIt) {
  {
    const auto log = make_audit_file(m_file);
    for (int i = 1; i <= 2; ++i) ASSERT_TRUE(log->append(event(i)));
  }
  const std::string head_after_2 = read_file(m_head);
  {
    const auto log = make_audit_file(m_file);
    for (int i = 3; i <= 7; ++i) ASSERT_TRUE(log->append(event(i)));
  }
  write_file(m_head, head_after_2);  // five entries past the head, as a crashed group of five leaves it
  auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
  const auto log = make_audit_file(m_file);
  ASSERT_TRUE(log->append(event(8))) << "the append brings the head up to date first";
  report = verify_audit_file(m_file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 8U);
}

TEST_F(AuditGroupCommitTest, AHeadBehindWithAnotherHashIsRefused) {
  {
    const auto log = make_audit_file(m_file);
    for (int i = 1; i <= 7; ++i) ASSERT_TRUE(log->append(event(i)));
  }
  // seq 2 with a hash no entry has: a replaced head, not a crash.
  write_file(m_head, std::string(R"({"seq":2,"hash":")") + std::string(64, 'a') + "\"}\n");
  const auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok);
  EXPECT_NE(report->problem.find("head file is stale or was replaced"), std::string::npos) << report->problem;
  const auto log = make_audit_file(m_file);
  const auto appended = log->append(event(8));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code, ErrorCode::integrity);
}

TEST_F(AuditGroupCommitTest, AHeadFurtherBehindThanOneGroupIsRefused) {
  std::string head_after_1;
  {
    const auto log = make_audit_file(m_file);
    ASSERT_TRUE(log->append(event(1)));
    head_after_1 = read_file(m_head);
    for (int i = 2; i <= 67; ++i) ASSERT_TRUE(log->append(event(i)));
  }
  write_file(m_head, head_after_1);  // 66 entries behind: more than one group (64) can leave
  const auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok);
  const auto log = make_audit_file(m_file);
  EXPECT_FALSE(log->append(event(68)).has_value());
}

}  // namespace
}  // namespace keyd::adapters
