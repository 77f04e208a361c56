// The audit file on a real full disk (a small tmpfs): a head update (made without its spare file) or
// a line write that fails with ENOSPC leaves a log that the next append accepts and repairs once there is space again.
#include "keyd/adapters/audit/audit_file.hpp"

#include "support/small_tmpfs.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::SmallTmpfs;

constexpr std::size_t k_page = 4096;

ports::AuditEvent event(int i, std::string error = {}) {
  return ports::AuditEvent{"2026-12-03T14:00:00.000000000Z", "alice", "rotate", "ipfs-overlay", i,
                           "fp-" + std::to_string(i), error.empty() ? "success" : "failure", std::move(error), ""};
}

std::size_t size_of(const std::filesystem::path& file) { return std::filesystem::file_size(file); }

// Room left in the last page of `file`: what it can still grow by on a full tmpfs.
std::size_t slack_of(const std::filesystem::path& file) { return (k_page - size_of(file) % k_page) % k_page; }

class AuditFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!m_fs.skip_reason().empty()) GTEST_SKIP() << m_fs.skip_reason();
  }

  // Space again: the next append works, and the log verifies with `entries` entries, the head at
  // the last of them.
  void expect_appends_once_there_is_space(int i, std::size_t entries) {
    m_fs.free_space();
    ASSERT_TRUE(m_log->append(event(i))) << "appends work again as soon as there is space";
    const auto report = verify_audit_file(m_file);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ok) << report->problem;
    EXPECT_EQ(report->entries, entries);
    EXPECT_NE(read_file(m_fs / "audit.jsonl.head").find("\"seq\":" + std::to_string(entries) + ","), std::string::npos);
  }

  // A head update rewrites the spare head file in place (AuditHead.WithASpareTheHeadUpdatesOnAFullDisk):
  // without one it needs a new file, and so a page, which is how these tests make it fail.
  void drop_spare() { std::filesystem::remove(m_fs / "audit.jsonl.head.spare"); }

  SmallTmpfs m_fs{256 * 1024};
  std::filesystem::path m_file = m_fs / "audit.jsonl";
  std::unique_ptr<ports::AuditLog> m_log = make_audit_file(m_file);
};

TEST_F(AuditFullDisk, AFailedHeadUpdateIsRepairedOnceThereIsSpace) {
  ASSERT_TRUE(m_log->append(event(1)));
  ASSERT_TRUE(m_log->append(event(2)));
  ASSERT_GE(slack_of(m_file), 1000U) << "the next lines must fit into the log's last page";
  drop_spare();
  ASSERT_EQ(m_fs.fill(), 0U);

  // The line fits into the last page, the new head file needs a page: the head update fails.
  const auto first = m_log->append(event(3));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::io) << first.error().message;
  EXPECT_NE(first.error().message.find("No space left on device"), std::string::npos) << first.error().message;
  EXPECT_NE(first.error().message.find("entry seq 3 was appended"), std::string::npos) << first.error().message;

  // Still full: later appends fail for lack of space, never as tampering, and add nothing.
  const auto size_after_first = size_of(m_file);
  for (int i = 4; i <= 6; ++i) {
    const auto again = m_log->append(event(i));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::io) << again.error().message;
    EXPECT_NE(again.error().message.find("No space left on device"), std::string::npos) << again.error().message;
  }
  EXPECT_EQ(size_of(m_file), size_after_first);
  auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->problem;

  expect_appends_once_there_is_space(7, 4);  // 1, 2, 3 (whose head update failed) and 7
}

// An intent leaves the head update to its result; when the result's head update then fails, the
// result is taken back out (the head would otherwise lag by two), and the intent stays recorded.
TEST_F(AuditFullDisk, AResultWhoseHeadUpdateFailsAfterAnIntentIsTakenBack) {
  ASSERT_TRUE(m_log->append(event(1)));
  auto intent = event(2);
  intent.outcome = ports::k_outcome_intent;
  ASSERT_TRUE(m_log->append_anchored(intent));
  ASSERT_GE(slack_of(m_file), 1000U) << "the next line must fit into the log's last page";
  const auto size_after_intent = size_of(m_file);
  const auto head_before = read_file(m_fs / "audit.jsonl.head");
  ASSERT_NE(head_before.find("\"seq\":1"), std::string::npos) << head_before;
  drop_spare();
  ASSERT_EQ(m_fs.fill(), 0U);

  const auto result = m_log->append(event(2));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::io) << result.error().message;
  EXPECT_NE(result.error().message.find("No space left on device"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("entry seq 3 was appended but the head file could not be updated"),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("the log was left as it was before this append"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(size_of(m_file), size_after_intent);
  EXPECT_EQ(read_file(m_fs / "audit.jsonl.head"), head_before);
  auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->problem;

  expect_appends_once_there_is_space(2, 3);
}

// A head as far behind as a crash inside a group commit may leave it (64 entries): one more entry
// written before the head would put a crash in that append beyond what is accepted, so the head is
// brought up to date first — and here that fails for lack of space, so nothing is appended.
TEST_F(AuditFullDisk, AHeadAsFarBehindAsAcceptedIsUpdatedBeforeTheNextLine) {
  ASSERT_TRUE(m_log->append(event(1)));
  ASSERT_TRUE(m_log->append(event(2)));
  const auto head_after_2 = read_file(m_fs / "audit.jsonl.head");
  for (int i = 3; i <= 66; ++i) ASSERT_TRUE(m_log->append(event(i)));
  keyd::testing::write_file(m_fs / "audit.jsonl.head", head_after_2);  // 64 behind: a crashed group of 64
  auto report = verify_audit_file(m_file);
  ASSERT_TRUE(report);
  ASSERT_TRUE(report->ok) << report->problem;
  const auto size_before = size_of(m_file);
  drop_spare();
  ASSERT_EQ(m_fs.fill(), 0U);

  const auto failed = m_log->append(event(67));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::io) << failed.error().message;
  EXPECT_NE(failed.error().message.find("bringing the head file up to seq 66 before appending (nothing appended)"),
            std::string::npos)
      << failed.error().message;
  EXPECT_EQ(size_of(m_file), size_before);

  expect_appends_once_there_is_space(67, 67);
}

TEST_F(AuditFullDisk, ALineThatDoesNotFitIsRolledBackNotLeftTorn) {
  ASSERT_TRUE(m_log->append(event(1)));
  ASSERT_EQ(m_fs.fill(), 0U);
  const auto size_before = size_of(m_file);
  const auto head_before = read_file(m_fs / "audit.jsonl.head");

  // A line longer than the room left in the last page: write() stores part of it, then ENOSPC.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto failed = m_log->append(event(2, std::string(slack_of(m_file) + 200, 'x')));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::io) << failed.error().message;
    EXPECT_EQ(size_of(m_file), size_before) << "a partial line stayed in the log";
  }
  EXPECT_EQ(read_file(m_fs / "audit.jsonl.head"), head_before);

  expect_appends_once_there_is_space(3, 2);
}

}  // namespace
}  // namespace keyd::adapters
