// The audit trail's head file: `keyd audit verify` while another process appends never reports a
// problem that is not there, and a head update neither creates nor deletes a file once the log has
// two entries (it rewrites a spare in place and swaps it with the head), so a busy daemon does not
// make the file system allocate and free an inode per commit, and a full disk does not stop it.
#include "keyd/adapters/audit/audit_file.hpp"

#include "support/small_tmpfs.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::SmallTmpfs;
using keyd::testing::TempDir;

ports::AuditEvent event(int i) {
  return ports::AuditEvent{"2026-12-05T22:00:00.000000000Z", "keyd-daemon", "rotate", "swarm-" + std::to_string(i), i,
                           "fp-" + std::to_string(i), "success", "", ""};
}

ino_t inode_of(const std::filesystem::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
  return st.st_ino;
}

// Reported by the review of 2026-12-05: verify read the log, then the head; an append in between
// left the head ahead of the lines read, reported as "file ends at seq N but the head file records
// seq N+1" although nothing was wrong.
TEST(AuditHead, VerifyWhileAnotherWriterAppendsReportsNoFalseProblem) {
  TempDir dir;
  const auto file = dir / "audit.jsonl";
  const auto writer = make_audit_file(file);
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(writer->append(event(i)));  // a log that takes a while to read
  std::atomic<bool> stop{false};
  std::thread appender([&] {
    for (int i = 400; !stop.load(); ++i) ASSERT_TRUE(writer->append(event(i)));
  });
  int checked = 0;
  std::string first_problem;
  for (; checked < 60 && first_problem.empty(); ++checked) {
    const auto report = verify_audit_file(file);
    ASSERT_TRUE(report.has_value()) << report.error().message;
    if (!report->ok) first_problem = report->problem;
  }
  stop = true;
  appender.join();
  EXPECT_EQ(first_problem, "") << "after " << checked << " verifications";
  const auto report = verify_audit_file(file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_GT(report->entries, 400U) << "the appender ran during the verifications";
}

TEST(AuditHead, HeadUpdatesReuseTwoFilesInsteadOfCreatingOnePerAppend) {
  TempDir dir;
  const auto file = dir / "audit.jsonl";
  const auto head = dir / "audit.jsonl.head";
  const auto log = make_audit_file(file);
  ASSERT_TRUE(log->append(event(1)));
  ASSERT_TRUE(log->append(event(2)));
  std::set<ino_t> inodes;
  for (int i = 3; i <= 12; ++i) {
    ASSERT_TRUE(log->append(event(i)));
    inodes.insert(inode_of(head));
    EXPECT_NE(read_file(head).find("\"seq\":" + std::to_string(i) + ","), std::string::npos) << read_file(head);
  }
  EXPECT_EQ(inodes.size(), 2U) << "the head and its spare trade places";
  const auto report = verify_audit_file(file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
  // The spare holds the head before the last (never key material: a seq and a hash).
  EXPECT_NE(read_file(dir / "audit.jsonl.head.spare").find("\"seq\":11,"), std::string::npos);
  const auto mode = std::filesystem::status(dir / "audit.jsonl.head.spare").permissions();
  EXPECT_EQ(mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// Something that is not keyd's spare under its name (a directory, a link) is left alone: the head is
// then replaced through a new file, as before.
TEST(AuditHead, ASpareThatIsNotARegularFileIsLeftAloneAndTheHeadStillUpdates) {
  TempDir dir;
  const auto file = dir / "audit.jsonl";
  const auto log = make_audit_file(file);
  ASSERT_TRUE(log->append(event(1)));
  std::filesystem::create_directory(dir / "audit.jsonl.head.spare");
  for (int i = 2; i <= 4; ++i) ASSERT_TRUE(log->append(event(i)));
  EXPECT_NE(read_file(dir / "audit.jsonl.head").find("\"seq\":4,"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(dir / "audit.jsonl.head.spare"));
  std::filesystem::remove(dir / "audit.jsonl.head.spare");
  std::filesystem::create_symlink(dir / "elsewhere", dir / "audit.jsonl.head.spare");
  for (int i = 5; i <= 7; ++i) ASSERT_TRUE(log->append(event(i)));
  EXPECT_NE(read_file(dir / "audit.jsonl.head").find("\"seq\":7,"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere")) << "the link was followed";
  const auto report = verify_audit_file(file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
}

// With a spare in place a head update needs no new space: on a full disk the appends that fit into
// the log's last page still complete, head and all.
TEST(AuditHead, WithASpareTheHeadUpdatesOnAFullDisk) {
  SmallTmpfs fs{256 * 1024};
  if (!fs.skip_reason().empty()) GTEST_SKIP() << fs.skip_reason();  // as AuditFullDisk.*: never in CI
  const auto file = fs / "audit.jsonl";
  const auto log = make_audit_file(file);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log->append(event(i)));
  ASSERT_EQ(fs.fill(), 0U);
  const auto appended = log->append(event(4));
  ASSERT_TRUE(appended) << appended.error().message;
  EXPECT_NE(read_file(fs / "audit.jsonl.head").find("\"seq\":4,"), std::string::npos);
  const auto report = verify_audit_file(file);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok) << report->problem;
}

}  // namespace
}  // namespace keyd::adapters
