// Issue 14 items 3 and 5 in the adapters: the audit file says where an entry sits in the chain,
// finds a swarm's newest recorded store write from its end, reads entries back; the stores keep
// the audit anchor with a version (file store record, Vault KV data, MCP arguments) and still read
// versions written without one.
#include "keyd/adapters/audit/audit_file.hpp"

#include "keyd/common/digest.hpp"
#include "mcp/vault_tools.hpp"
#include "file_store/record_crypto.hpp"
#include "support/test_support.hpp"
#include "vault/vault_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace keyd::adapters {
namespace {

using keyd::testing::read_file;
using keyd::testing::TempDir;

ports::AuditEvent entry(std::string action, std::string swarm, std::optional<int> version, std::string outcome) {
  ports::AuditEvent e;
  e.time = "2026-12-03T00:00:00.000000000Z";
  e.actor = "alice";
  e.action = std::move(action);
  e.swarm = std::move(swarm);
  e.version = version;
  e.outcome = std::move(outcome);
  return e;
}

std::string line(const std::filesystem::path& file, std::size_t n) {
  const std::string text = read_file(file);
  std::size_t start = 0;
  for (std::size_t i = 1; i < n; ++i) start = text.find('\n', start) + 1;
  return text.substr(start, text.find('\n', start) - start);
}

TEST(AuditAnchor, AppendAnchoredReturnsTheSeqAndTheHashOfTheLineItWrote) {
  const TempDir dir;
  const auto file = dir / "audit.jsonl";
  auto log = make_audit_file(file);
  ASSERT_TRUE(log->append(entry("fetch", "a", 1, "success")));
  auto anchor = log->append_anchored(entry("rotate", "a", 2, "intent"));
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(anchor->seq, 2);
  EXPECT_EQ(anchor->hash, sha256_hex(line(file, 2)));

  auto records = log->records();
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2U);
  EXPECT_EQ((*records)[1].anchor.hash, anchor->hash);
  EXPECT_EQ((*records)[1].event.outcome, "intent");
  EXPECT_EQ((*records)[1].event.version, 2);
}

TEST(AuditAnchor, NewestWrittenVersionIsTheLastSuccessOrRecoveredEntryOfThatSwarm) {
  const TempDir dir;
  const auto file = dir / "audit.jsonl";
  auto log = make_audit_file(file);
  auto newest = log->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, std::nullopt) << "no file yet";

  ASSERT_TRUE(log->append(entry("rotate", "a", 1, "success")));
  ASSERT_TRUE(log->append(entry("recovered", "a", 2, "success")));
  // Enough later entries that the scan crosses several 64 KiB chunks, none a store write of "a".
  auto filler = entry("fetch", "a", 2, "success");
  filler.detail = std::string(2000, 'x');
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(log->append(filler));
    ASSERT_TRUE(log->append(entry("rotate", "b", 10 + i, "success")));
    ASSERT_TRUE(log->append(entry("rotate", "a", 3, "intent")));
    ASSERT_TRUE(log->append(entry("sync", "a", 3, "success")));
  }
  ASSERT_TRUE(log->append(entry("rotate", "a", std::nullopt, "failure")));
  ASSERT_GT(std::filesystem::file_size(file), 3U * 64 * 1024);
  newest = log->newest_written_version("a");
  ASSERT_TRUE(newest) << newest.error().message;
  EXPECT_EQ(*newest, 2);
  newest = log->newest_written_version("b");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 109);
  newest = log->newest_written_version("c");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, std::nullopt);
}

// Bytes this process has read so far (read and pread calls), from /proc/self/io.
std::int64_t bytes_read() {
  const std::string io = read_file("/proc/self/io");
  const auto at = io.find("rchar: ");
  return at == std::string::npos ? -1 : std::stoll(io.substr(at + 7));
}

// Issue 18: a daemon restarted over N swarms asked for each swarm's newest written version in turn;
// each answer scanned back from the end to that swarm's last write, about N entries: O(N²) bytes.
TEST(AuditAnchor, NewestWrittenVersionOfEverySwarmReadsTheFileAboutOnce) {
  const TempDir dir;
  const auto file = dir / "audit.jsonl";
  {
    auto writer = make_audit_file(file);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(writer->append(entry("rotate", "s" + std::to_string(i), 1, "intent")));
      ASSERT_TRUE(writer->append(entry("rotate", "s" + std::to_string(i), 1, "success")));
    }
  }
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(file));
  auto log = make_audit_file(file);
  const std::int64_t before = bytes_read();
  ASSERT_GE(before, 0);
  for (int i = 0; i < 300; ++i) {
    auto newest = log->newest_written_version("s" + std::to_string(i));
    ASSERT_TRUE(newest) << newest.error().message;
    EXPECT_EQ(*newest, 1) << i;
  }
  EXPECT_LT(bytes_read() - before, 3 * size) << "the log (" << size << " bytes) was read more than about once";
}

// Issue 18: a one-shot command (keyd rotate) asks once, about one swarm. Indexing the whole log
// for that made every rotation slower as the log grew (about 9 µs an entry); the first question
// reads back from the end only as far as that swarm's newest write. Later questions use the index
// and give the same answers.
TEST(AuditAnchor, TheFirstQuestionReadsOnlyBackToTheSwarmsNewestWrite) {
  const TempDir dir;
  const auto file = dir / "audit.jsonl";
  {
    auto writer = make_audit_file(file);
    for (int i = 0; i < 1500; ++i) {
      ASSERT_TRUE(writer->append(entry("rotate", "s" + std::to_string(i % 50), 1 + i / 50, "success")));
    }
    ASSERT_TRUE(writer->append(entry("rotate", "a", 7, "intent")));
    ASSERT_TRUE(writer->append(entry("rotate", "a", 7, "success")));
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(writer->append(entry("sync", "a", 7, "success")));
      ASSERT_TRUE(writer->append(entry("fetch", "a", 7, "success")));
    }
    ASSERT_TRUE(writer->append(entry("rotate", "a", 8, "intent")));  // not (yet) a write
  }
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(file));
  ASSERT_GT(size, 4 * 64 * 1024);
  auto log = make_audit_file(file);
  const std::int64_t before = bytes_read();
  ASSERT_GE(before, 0);
  auto newest = log->newest_written_version("a");
  ASSERT_TRUE(newest) << newest.error().message;
  EXPECT_EQ(*newest, 7);
  EXPECT_LE(bytes_read() - before, 64 * 1024 + 4096) << "read more than the last chunk of a " << size << "-byte log";

  newest = log->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 7);
  newest = log->newest_written_version("s7");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 30);
}

TEST(AuditAnchor, NewestWrittenVersionFollowsAppendsByOthersATornTailAndANewLog) {
  const TempDir dir;
  const auto file = dir / "audit.jsonl";
  auto reader = make_audit_file(file);
  auto writer = make_audit_file(file);  // another keyd process appending to the same log
  ASSERT_TRUE(writer->append(entry("rotate", "a", 1, "success")));
  auto newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 1);
  ASSERT_TRUE(writer->append(entry("rotate", "a", 2, "success")));
  ASSERT_TRUE(writer->append(entry("import", "b", 5, "success")));
  ASSERT_TRUE(writer->append(entry("rotate", "a", 3, "intent")));
  newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 2);
  newest = reader->newest_written_version("b");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 5);

  // A crash between an entry and its newline leaves a valid unterminated last entry: it counts.
  ASSERT_TRUE(writer->append(entry("recovered", "a", 3, "success")));
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 1);
  newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 3);
  ASSERT_TRUE(writer->append(entry("rotate", "a", 4, "success")));  // completes the line, then appends
  newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 4);

  // The log moved aside (with its head) and a new one started: nothing of the old one counts.
  std::filesystem::rename(file, dir / "old.jsonl");
  std::filesystem::rename(dir / "audit.jsonl.head", dir / "old.jsonl.head");
  ASSERT_TRUE(writer->append(entry("rotate", "b", 6, "success")));
  newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, std::nullopt);
  newest = reader->newest_written_version("b");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 6);

  // Rewritten in place (same file, longer, other content): read again from the start.
  std::filesystem::copy_file(dir / "old.jsonl", file, std::filesystem::copy_options::overwrite_existing);
  newest = reader->newest_written_version("a");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 4);
  newest = reader->newest_written_version("b");
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, 5);
}

TEST(AuditAnchor, TheFileStoreRecordKeepsTheAnchorAndOpensRecordsWithoutOne) {
  auto keys = detail::derive_store_keys(Secret(std::vector<std::uint8_t>(32, 7)));
  ASSERT_TRUE(keys);
  ports::VersionData data{Secret::from_text("KEY\n"), "fp", "alice", "rotate", "5:abc"};
  auto sealed = detail::seal_record(keys->record_key, "p", 3, data);
  ASSERT_TRUE(sealed);
  auto opened = detail::open_record(keys->record_key, "p", 3, *sealed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->audit_anchor, "5:abc");

  data.audit_anchor.clear();  // sealed exactly as before keyd stored anchors
  sealed = detail::seal_record(keys->record_key, "p", 4, data);
  ASSERT_TRUE(sealed);
  opened = detail::open_record(keys->record_key, "p", 4, *sealed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->audit_anchor, "");
  EXPECT_EQ(opened->reason, "rotate");
}

TEST(AuditAnchor, VaultKeepsTheAnchorBesideTheOtherFields) {
  const ports::VersionData data{Secret::from_text("KEY\n"), "fp", "alice", "rotate", "5:abc"};
  const auto body = nlohmann::json::parse(vault::write_body(data, 1).reveal_text());
  EXPECT_EQ(body["data"]["audit_anchor"], "5:abc");
  EXPECT_EQ(body["data"]["fingerprint"], "fp");

  const auto doc = vault::parse_json(
      Secret::from_text(R"({"data":{"data":{"swarm.key":"K\n","fingerprint":"f","issued_by":"i","reason":"r",
        "audit_anchor":"9:def"},"metadata":{"created_time":"2026-01-01T00:00:00Z","version":2}}})"),
      "t");
  ASSERT_TRUE(doc);
  auto read = vault::parse_read(*doc, "t");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->data.audit_anchor, "9:def");

  const auto old = vault::parse_json(
      Secret::from_text(R"({"data":{"data":{"swarm.key":"K\n","fingerprint":"f","issued_by":"i","reason":"r"},
        "metadata":{"created_time":"2026-01-01T00:00:00Z","version":1}}})"),
      "t");
  ASSERT_TRUE(old);
  read = vault::parse_read(*old, "t");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->data.audit_anchor, "");
}

TEST(AuditAnchor, McpWritesTheAnchorAsOneMoreField) {
  const ports::VersionData data{Secret::from_text("KEY\n"), "fp", "alice", "rotate", "5:abc"};
  auto args = mcp::write_arguments("secret/p", data);
  ASSERT_TRUE(args);
  const auto& items = (*args)["data"];
  ASSERT_EQ(items.size(), 5U);
  EXPECT_EQ(items.back().get_ref<const detail::WipedString&>(), "audit_anchor=5:abc");

  const ports::VersionData old{Secret::from_text("KEY\n"), "fp", "alice", "rotate", {}};
  args = mcp::write_arguments("secret/p", old);
  ASSERT_TRUE(args);
  EXPECT_EQ((*args)["data"].size(), 4U);
}

}  // namespace
}  // namespace keyd::adapters
