// audit.sink stdout: hash-chained lines on a stream with the chain's head in the store. Several
// writers on one store (two daemon replicas) extend one chain; a head that cannot be written fails
// the append and prints nothing; lines collected in any order verify against the head, and every
// removed, changed or forged entry is named.
#include "keyd/adapters/audit/audit_stream.hpp"

#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/common/digest.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace keyd::adapters {
namespace {

using keyd::testing::FakeClock;
using keyd::testing::FixedRandom;
using keyd::testing::TempDir;
using keyd::testing::write_file;

constexpr const char* k_head = "keyd/audit-head";

ports::AuditEvent event(int i, std::string actor = "keyd-daemon@a") {
  return ports::AuditEvent{"2026-12-05T03:00:00.000000000Z", std::move(actor), "fetch", "swarm-" + std::to_string(i),
                           i, "fp-" + std::to_string(i), "success", "", ""};
}

// What one process printed.
struct Output {
  std::mutex mutex;
  std::string text;
  int fail_next = 0;  // fail this many writes
  AuditLineWriter writer() {
    return [this](std::string_view line) -> Status {
      const std::lock_guard lock(mutex);
      if (fail_next > 0) {
        --fail_next;
        return fail(ErrorCode::io, "writing the audit entry to standard output: Broken pipe");
      }
      text += line;
      return {};
    };
  }
};

// A store whose writes can be made to fail, around a real one.
class FlakyStore final : public ports::SecretStore {
 public:
  explicit FlakyStore(ports::SecretStore& inner) : m_inner(inner) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return m_inner.capabilities(); }
  Result<ports::PathMetadata> metadata(std::string_view path) override {
    ++metadata_calls;
    return m_inner.metadata(path);
  }
  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    ++reads;
    if (read_error) return fail(*read_error);
    return m_inner.read(path, version);
  }
  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    ++writes;
    if (write_error) return fail(*write_error);
    return m_inner.write(path, data, cas);
  }
  std::optional<Error> write_error;
  std::optional<Error> read_error;
  int writes = 0;
  int reads = 0;
  int metadata_calls = 0;

 private:
  ports::SecretStore& m_inner;
};

class AuditStreamTest : public ::testing::Test {
 protected:
  std::unique_ptr<ports::SecretStore> open_store() {
    auto store = make_file_store({m_dir / "store", {}, 10}, m_clock);
    EXPECT_TRUE(store) << store.error().message;
    return std::move(*store);
  }
  std::unique_ptr<ports::AuditLog> stream(ports::SecretStore& store, Output& out) {
    AuditStreamOptions options;
    options.head_path = k_head;
    options.write = out.writer();
    options.sleep = [this](std::chrono::milliseconds d) {
      m_slept += d.count();
      ++m_sleeps;
    };
    return make_audit_stream(store, std::move(options), m_random);
  }
  AuditVerifyReport verify(const std::string& collected, ports::SecretStore& store) {
    write_file(m_dir / "collected.log", collected);
    auto lines = read_collected_audit(m_dir / "collected.log");
    EXPECT_TRUE(lines) << lines.error().message;
    if (!lines) return AuditVerifyReport{};
    auto report = verify_collected_audit(*lines, store, k_head);
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : AuditVerifyReport{};
  }
  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  static std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
  }

  TempDir m_dir;
  FakeClock m_clock;
  FixedRandom m_random{0.5};
  std::int64_t m_slept = 0;
  int m_sleeps = 0;
};

TEST_F(AuditStreamTest, EntriesChainOnTheStreamAndTheStoreHoldsTheHeadOfTheLastOne) {
  auto store = open_store();
  Output out;
  auto log = stream(*store, out);
  EXPECT_FALSE(log->reads_back());
  for (int i = 1; i <= 3; ++i) {
    auto anchor = log->append_anchored(event(i));
    ASSERT_TRUE(anchor) << anchor.error().message;
    EXPECT_EQ(anchor->seq, i);
  }
  const auto lines = lines_of(out.text);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_NE(lines[0].find(R"("prev":"0000000000000000000000000000000000000000000000000000000000000000")"),
            std::string::npos);
  EXPECT_NE(lines[1].find("\"prev\":\"" + sha256_hex(lines[0]) + "\""), std::string::npos);
  auto head = read_stream_head(*store, k_head);
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->seq, 3);
  EXPECT_EQ(head->hash, sha256_hex(lines[2]));
  const auto report = verify(out.text, *store);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 3U);
}

TEST_F(AuditStreamTest, TwoWritersOnOneStoreExtendOneChainRetryingWhenTheOtherMovedTheHead) {
  auto store_a = open_store();
  auto store_b = open_store();  // a second process on the same store
  Output out_a;
  Output out_b;
  auto a = stream(*store_a, out_a);
  auto b = stream(*store_b, out_b);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a->append(event(i, "a")));
    ASSERT_TRUE(b->append(event(i, "b")));  // its cached head is stale from the second round on
  }
  EXPECT_GT(m_sleeps, 0) << "the writers never lost a race: the test did not test the retry";
  EXPECT_EQ(lines_of(out_a.text).size() + lines_of(out_b.text).size(), 20U);
  const auto report = verify(out_b.text + out_a.text, *store_a);  // collected in another order
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 20U);
}

TEST_F(AuditStreamTest, WritersInThreadsOfTwoProcessesLeaveOneChainWithNoGapAndNoFork) {
  auto store_a = open_store();
  auto store_b = open_store();
  Output out_a;
  Output out_b;
  auto a = stream(*store_a, out_a);
  auto b = stream(*store_b, out_b);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (ports::AuditLog* log : {a.get(), b.get(), a.get(), b.get()}) {
    threads.emplace_back([log, &failures] {
      for (int i = 0; i < 15; ++i) {
        if (!log->append(event(i))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const auto report = verify(out_a.text + out_b.text, *store_a);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 60U);
}

TEST_F(AuditStreamTest, AHeadThatCannotBeWrittenFailsTheAppendPrintsNothingAndLeavesNoGap) {
  auto real = open_store();
  FlakyStore store(*real);
  Output out;
  auto log = stream(store, out);
  ASSERT_TRUE(log->append(event(1)));
  store.write_error = Error{ErrorCode::unavailable, "vault POST /v1/secret/data/keyd/audit-head: status 503"};
  auto failed = log->append(event(2));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::unavailable);
  EXPECT_NE(failed.error().message.find("audit head keyd/audit-head"), std::string::npos) << failed.error().message;
  EXPECT_EQ(lines_of(out.text).size(), 1U) << "a line was printed without its place in the chain";
  store.write_error.reset();
  ASSERT_TRUE(log->append(event(3)));
  const auto report = verify(out.text, store);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2U);
}

TEST_F(AuditStreamTest, ALostRaceIsRetriedWithJitteredBackoffAndGivenUpAfterMaxAttempts) {
  auto real = open_store();
  FlakyStore store(*real);
  Output out;
  auto log = stream(store, out);
  store.write_error = Error{ErrorCode::conflict, "check-and-set mismatch"};
  auto failed = log->append(event(1));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::conflict);
  EXPECT_NE(failed.error().message.find("10 times"), std::string::npos) << failed.error().message;
  EXPECT_EQ(store.writes, 10);
  EXPECT_EQ(m_sleeps, 9);
  // Full jitter at 0.5 of 10, 20, 40, 80, 160, 320, 500, 500, 500 ms.
  EXPECT_EQ(m_slept, 5 + 10 + 20 + 40 + 80 + 160 + 250 + 250 + 250);
  EXPECT_TRUE(out.text.empty());
}

// The head's current version is unreadable (deleted in Vault): the metadata still lists it, so this
// is not a new chain starting at seq 1 — the append is refused and nothing is written or printed.
TEST_F(AuditStreamTest, ADeletedHeadIsRefusedNotMistakenForANewChain) {
  auto real = open_store();
  FlakyStore store(*real);
  Output out;
  ASSERT_TRUE(stream(store, out)->append(event(1)));
  const int metadata_before = store.metadata_calls;
  ASSERT_TRUE(stream(store, out)->append(event(2)));  // another process: one read finds the head
  EXPECT_EQ(store.metadata_calls, metadata_before) << "a readable head needs no metadata request";
  store.read_error = Error{ErrorCode::not_found, "version 2 of keyd/audit-head is deleted"};
  Output later;
  auto failed = stream(store, later)->append(event(3));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::integrity);
  EXPECT_NE(failed.error().message.find("version 2 cannot be read (version 2 of keyd/audit-head is deleted)"),
            std::string::npos)
      << failed.error().message;
  EXPECT_EQ(store.writes, 2) << "the head was overwritten";
  EXPECT_TRUE(later.text.empty());
}

TEST_F(AuditStreamTest, ALineThatCannotBePrintedIsAGapVerifyNames) {
  auto store = open_store();
  Output out;
  auto log = stream(*store, out);
  ASSERT_TRUE(log->append(event(1)));
  out.fail_next = 1;
  auto failed = log->append(event(2));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("seq 2 is anchored in the store but was not printed"), std::string::npos)
      << failed.error().message;
  ASSERT_TRUE(log->append(event(3)));
  const auto report = verify(out.text, *store);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.problem.find("seq 2 to 2 are missing before line 2 (seq 3)"), std::string::npos) << report.problem;
}

TEST_F(AuditStreamTest, KeyMaterialIsRefusedBeforeTheHeadMoves) {
  auto store = open_store();
  Output out;
  auto log = stream(*store, out);
  auto e = event(1);
  e.error = "read /key/swarm/psk/1.0.0/ from the wrong place";
  ASSERT_FALSE(log->append(e));
  EXPECT_TRUE(out.text.empty());
  EXPECT_EQ(store->metadata(k_head).error().code, ErrorCode::not_found);
}

TEST_F(AuditStreamTest, AHeadPathHoldingSomethingElseIsRefusedNotOverwritten) {
  auto store = open_store();
  ports::VersionData other;
  other.key_text = Secret::from_text("not a head");
  other.reason = "import";
  ASSERT_TRUE(store->write(k_head, other, 0));
  Output out;
  auto log = stream(*store, out);
  auto failed = log->append(event(1));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::integrity);
  EXPECT_NE(failed.error().message.find("holds no valid head"), std::string::npos) << failed.error().message;
  EXPECT_EQ(store->metadata(k_head)->current_version, 1);
  EXPECT_TRUE(out.text.empty());
}

class CollectedAuditTest : public AuditStreamTest {
 protected:
  void SetUp() override {
    m_store = open_store();
    auto log = stream(*m_store, m_out);
    for (int i = 1; i <= 6; ++i) ASSERT_TRUE(log->append(event(i)));
    m_lines = lines_of(m_out.text);
    ASSERT_EQ(m_lines.size(), 6U);
  }
  std::unique_ptr<ports::SecretStore> m_store;
  Output m_out;
  std::vector<std::string> m_lines;
};

TEST_F(CollectedAuditTest, LinesInAnyOrderWithDuplicatesLogLinesAndPrefixesVerify) {
  std::vector<std::string> collected = m_lines;
  collected.push_back(m_lines[2]);  // delivered twice
  collected.push_back(R"({"time":"2026-12-05T03:00:00Z","level":"info","msg":"swarm ipfs: key current"})");
  collected.emplace_back("keyd: warning: something");
  collected[4] = "[pod/keyd-7d9f-x2/keyd] " + collected[4];  // kubectl logs --prefix
  collected[1] = "2026-12-05T03:00:00.123Z stdout F " + collected[1];  // a CRI log file line
  std::shuffle(collected.begin(), collected.end(), std::mt19937(7));
  const auto report = verify(joined(collected), *m_store);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 6U);
  const auto parsed = collect_audit_lines(joined(collected));
  EXPECT_EQ(parsed.duplicates, 1U);
  EXPECT_EQ(parsed.other_lines, 2U);
  auto collected_file = read_collected_audit(m_dir / "collected.log");
  ASSERT_TRUE(collected_file);
  const auto records = collected_audit_records(*collected_file);
  ASSERT_EQ(records.size(), 6U);
  EXPECT_EQ(records.front().anchor.seq, 1);
  EXPECT_EQ(records.back().event.swarm, "swarm-6");
}

TEST_F(CollectedAuditTest, EveryRemovalChangeAndForgeryIsNamed) {
  struct Case {
    const char* what;
    std::function<void(std::vector<std::string>&)> edit;
    const char* expected;
  };
  const std::vector<Case> cases{
      {"the last entry removed", [](auto& l) { l.pop_back(); },
       "the collected entries end at seq 5 but the audit head keyd/audit-head"},
      {"a middle entry removed", [](auto& l) { l.erase(l.begin() + 3); }, "seq 4 to 4 are missing before line 4 (seq 5)"},
      {"the first entry removed", [](auto& l) { l.erase(l.begin()); }, "start at seq 2, not 1"},
      {"an entry changed",
       [](auto& l) {
         const auto at = l[2].find("success");
         l[2].replace(at, 7, "failure");
       },
       "line 4 (seq 4): its prev hash does not match seq 3"},
      {"the last entry changed",
       [](auto& l) {
         const auto at = l[5].find("success");
         l[5].replace(at, 7, "failure");
       },
       "seq 6 does not match the hash the audit head"},
      {"a second entry with one seq",
       [](auto& l) {
         std::string forged = l[1];
         forged.replace(forged.find("swarm-2"), 7, "swarm-9");
         l.push_back(forged);
       },
       "lines 2 and 7 are two different entries with seq 2"},
      {"an entry appended past the head",
       [](auto& l) {
         l.push_back(R"({"seq":7,"time":"t","actor":"x","action":"fetch","outcome":"success","prev":")" +
                     sha256_hex(l[5]) + "\"}");
       },
       "go on to seq 7 past the audit head"},
  };
  for (const auto& c : cases) {
    auto lines = m_lines;
    c.edit(lines);
    const auto report = verify(joined(lines), *m_store);
    EXPECT_FALSE(report.ok) << c.what;
    EXPECT_NE(report.problem.find(c.expected), std::string::npos) << c.what << ": " << report.problem;
  }
}

TEST_F(CollectedAuditTest, AMissingFileIsNotFoundAndAnEmptyStoreHeadMeansNoEntries) {
  auto missing = read_collected_audit(m_dir / "nope.log");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("nope.log"), std::string::npos);
  // Another head path: nothing written there, so an empty collection is complete.
  write_file(m_dir / "empty.log", "");
  auto empty_file = read_collected_audit(m_dir / "empty.log");
  ASSERT_TRUE(empty_file) << empty_file.error().message;
  auto empty = verify_collected_audit(*empty_file, *m_store, "keyd/other-head");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->ok) << empty->problem;
}

}  // namespace
}  // namespace keyd::adapters
