// Issue 14 items 3 and 5 at the use-case level: intent and result entries around every store
// write, the audit anchor stored with the version, "recovered" entries for versions written
// without a result entry, and the cross-check behind keyd audit verify --config.
#include "keyd/app/audit_accounting.hpp"
#include "keyd/app/use_cases.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/fakes.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iterator>

namespace keyd::app {
namespace {

class AuditAccountingTest : public ::testing::Test {
 protected:
  AuditAccountingTest() {
    swarm.name = "ipfs-overlay";
    swarm.path = "ipfs-overlay/swarm-key";
  }

  // A version written behind keyd's back, as a writer killed before its result entry leaves it.
  int write_unaudited(const std::string& anchor = {}) {
    auto key = domain::generate_swarm_key();
    const int current = store.metadata(swarm.path) ? store.metadata(swarm.path)->current_version : 0;
    auto written = store.write(swarm.path, {key->canonical_text(), key->fingerprint().hex(), "bob", "rotate", anchor},
                               current);
    EXPECT_TRUE(written);
    return written.value_or(0);
  }

  std::vector<ports::AuditEvent> with_action(std::string_view action) const {
    std::vector<ports::AuditEvent> out;
    std::ranges::copy_if(audit.events, std::back_inserter(out), [&](const auto& e) { return e.action == action; });
    return out;
  }

  Result<AccountingReport> check() { return check_audit_accounting(store, audit, {{swarm.name, swarm.path}}); }

  testing::InMemoryStore store;
  testing::RecordingAudit audit;
  testing::FakeClock clock;
  Context ctx{store, audit, clock, "alice"};
  Swarm swarm;
};

TEST_F(AuditAccountingTest, RotateAppendsAnIntentBeforeTheWriteAndAnchorsItInTheVersion) {
  std::size_t entries_at_write = 0;
  store.before_write = [&](testing::InMemoryStore&) { entries_at_write = audit.events.size(); };
  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report) << report.error().message;
  const auto rotates = with_action("rotate");
  ASSERT_EQ(rotates.size(), 2U);
  EXPECT_EQ(rotates[0].outcome, "intent");
  EXPECT_EQ(rotates[0].version, 1);
  EXPECT_EQ(rotates[0].fingerprint, report->fingerprint);
  EXPECT_EQ(rotates[1].outcome, "success");
  EXPECT_EQ(entries_at_write, 1U) << "the intent must be in the log before the store write";

  const auto stored = store.read(swarm.path, 1);
  ASSERT_TRUE(stored);
  const auto anchor = audit.chain().front();
  EXPECT_EQ(stored->data.audit_anchor, std::to_string(anchor.seq) + ":" + anchor.hash);
  auto checked = check();
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_TRUE(checked->ok()) << checked->problems.front();
  EXPECT_EQ(checked->anchored, 1U);
}

TEST_F(AuditAccountingTest, AFailedIntentWritesNothing) {
  audit.failure = Error{ErrorCode::io, "disk full"};
  EXPECT_FALSE(rotate(ctx, swarm));
  EXPECT_EQ(store.writes, 0);
}

TEST_F(AuditAccountingTest, TheNextCommandRecordsAnUnauditedVersionOnceAsRecovered) {
  ASSERT_TRUE(rotate(ctx, swarm));
  const int v2 = write_unaudited();
  auto fetched = fetch(ctx, swarm, std::nullopt);
  ASSERT_TRUE(fetched);
  const auto recovered = with_action("recovered");
  ASSERT_EQ(recovered.size(), 1U);
  EXPECT_EQ(recovered[0].version, v2);
  EXPECT_EQ(recovered[0].outcome, "success");
  EXPECT_EQ(recovered[0].fingerprint, fetched->data.fingerprint);
  EXPECT_EQ(recovered[0].detail, "stored without an audit entry; issued_by=bob reason=rotate");
  ASSERT_TRUE(history(ctx, swarm));
  EXPECT_EQ(with_action("recovered").size(), 1U) << "recorded once";
  auto checked = check();
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->ok());
}

// Issue 18: `keyd fetch` of the current version reads the key and nothing else from the store
// when the audit trail records that version as written (accounting would add nothing); a version
// newer than the trail knows, a past version and a failed read still read the version list.
TEST_F(AuditAccountingTest, AFetchOfAVersionTheTrailRecordsReadsOnlyTheKey) {
  ASSERT_TRUE(rotate(ctx, swarm));
  store.metadata_reads = store.reads = 0;
  ASSERT_TRUE(fetch(ctx, swarm, std::nullopt));
  EXPECT_EQ(store.reads, 1);
  EXPECT_EQ(store.metadata_reads, 0);

  ASSERT_TRUE(fetch(ctx, swarm, 1));
  EXPECT_EQ(store.metadata_reads, 1) << "a past version: the list is read";

  const int v2 = write_unaudited();
  store.metadata_reads = 0;
  auto fetched = fetch(ctx, swarm, std::nullopt);
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->info.version, v2);
  EXPECT_EQ(store.metadata_reads, 1);
  ASSERT_EQ(with_action("recovered").size(), 1U);
  const auto all = audit.events;
  EXPECT_EQ(all.back().action, "fetch") << "the recovered entry comes before the fetch's own";
  EXPECT_EQ(all[all.size() - 2].action, "recovered");

  store.metadata_reads = 0;
  ASSERT_FALSE(fetch(ctx, swarm, 9));
  EXPECT_EQ(store.metadata_reads, 1);
}

TEST_F(AuditAccountingTest, EveryStoreCommandAccountsForVersions) {
  for (const auto& run : std::vector<std::function<bool()>>{
           [&] { return static_cast<bool>(sync(ctx, swarm)); }, [&] { return static_cast<bool>(history(ctx, swarm)); },
           [&] { return static_cast<bool>(rotate(ctx, swarm)); },
           [&] { return static_cast<bool>(rollback(ctx, swarm, 1)); }}) {
    const int v = write_unaudited();
    EXPECT_TRUE(run());
    EXPECT_TRUE(std::ranges::any_of(audit.events, [&](const auto& e) {
      return e.action == "recovered" && e.version == v;
    })) << "version " << v;
  }
}

TEST_F(AuditAccountingTest, CheckNamesAVersionWithoutAnEntry) {
  ASSERT_TRUE(rotate(ctx, swarm));
  write_unaudited();
  auto checked = check();
  ASSERT_TRUE(checked);
  ASSERT_EQ(checked->problems.size(), 1U);
  EXPECT_EQ(checked->problems[0], "swarm ipfs-overlay version 2: no audit entry records it as written (no rotate, "
                                  "import or rollback success and no recovered entry)");
}

TEST_F(AuditAccountingTest, CheckNamesAnAnchorTheLogNoLongerMatches) {
  ASSERT_TRUE(rotate(ctx, swarm));
  ASSERT_TRUE(rotate(ctx, swarm));
  // Rewrite: drop the first entry and renumber the rest, as a forger who re-chains would.
  audit.events.erase(audit.events.begin());
  auto checked = check();
  ASSERT_TRUE(checked);
  ASSERT_FALSE(checked->ok());
  EXPECT_NE(checked->problems.front().find("swarm ipfs-overlay version 1: the audit entry at seq 1 is not the one "
                                           "anchored in the store"),
            std::string::npos)
      << checked->problems.front();

  // A truncated log: the anchored seq is gone.
  audit.events.resize(1);
  checked = check();
  ASSERT_TRUE(checked);
  EXPECT_TRUE(std::ranges::any_of(checked->problems, [](const std::string& p) {
    return p.find("version 2: the audit entry it is anchored to (seq") != std::string::npos &&
           p.find("is missing") != std::string::npos;
  })) << ::testing::PrintToString(checked->problems);
}

TEST_F(AuditAccountingTest, VersionsWithoutAnAnchorStayValid) {
  write_unaudited();  // as written by an older keyd: no anchor
  ASSERT_TRUE(history(ctx, swarm));
  auto checked = check();
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->ok()) << ::testing::PrintToString(checked->problems);
  EXPECT_EQ(checked->anchored, 0U);
}

}  // namespace
}  // namespace keyd::app
