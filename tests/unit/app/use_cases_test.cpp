#include "keyd/app/use_cases.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/fakes.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

namespace keyd::app {
namespace {

using testing::FakeTarget;

class UseCases : public ::testing::Test {
 protected:
  UseCases() {
    swarm.name = "ipfs-overlay";
    swarm.path = "ipfs-overlay/swarm-key";
    auto a = std::make_unique<FakeTarget>("a");
    auto b = std::make_unique<FakeTarget>("b");
    target_a = a.get();
    target_b = b.get();
    swarm.targets.push_back(std::move(a));
    swarm.targets.push_back(std::move(b));
  }

  std::vector<ports::AuditEvent> events_for(std::string_view action) const {
    std::vector<ports::AuditEvent> out;
    for (const auto& e : audit.events)
      if (e.action == action) out.push_back(e);
    return out;
  }

  testing::InMemoryStore store;
  testing::RecordingAudit audit;
  testing::FakeClock clock;
  Context ctx{store, audit, clock, "alice"};
  Swarm swarm;
  FakeTarget* target_a = nullptr;
  FakeTarget* target_b = nullptr;
};

TEST_F(UseCases, FirstRotationCreatesVersionOneAndDeliversEverywhere) {
  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 1);
  EXPECT_EQ(report->fingerprint.size(), 32U);
  ASSERT_EQ(report->targets.size(), 2U);
  EXPECT_EQ(to_string(report->targets[0].outcome), "changed");
  EXPECT_EQ(report->failed_targets(), 0U);
  EXPECT_EQ(target_a->fingerprint, report->fingerprint);
  EXPECT_EQ(target_b->version, 1);

  auto stored = store.read(swarm.path, 1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->data.issued_by, "alice");
  EXPECT_EQ(stored->data.reason, "rotate");
  auto parsed = domain::parse_and_validate(stored->data.key_text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->key.fingerprint().hex(), report->fingerprint);
  EXPECT_TRUE(parsed->warnings.empty());

  ASSERT_EQ(events_for("rotate").size(), 2U);  // the intent before the store write, then the result
  EXPECT_EQ(events_for("rotate")[0].outcome, "intent");
  EXPECT_EQ(events_for("rotate")[1].outcome, "success");
  EXPECT_EQ(events_for("rotate")[1].version, 1);
  EXPECT_EQ(events_for("rotate")[1].actor, "alice");
  EXPECT_EQ(events_for("sync").size(), 2U);
}

TEST_F(UseCases, SecondRotationMakesANewDifferentKey) {
  auto first = rotate(ctx, swarm);
  auto second = rotate(ctx, swarm);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->version, 2);
  EXPECT_NE(first->fingerprint, second->fingerprint);
  EXPECT_EQ(target_a->fingerprint, second->fingerprint);
}

TEST_F(UseCases, ConcurrentRotationIsAConflictAndNothingIsOverwritten) {
  ASSERT_TRUE(rotate(ctx, swarm));
  const std::string delivered = target_a->fingerprint;
  // Another writer rotates between keyd's read and its write.
  store.before_write = [](testing::InMemoryStore& s) {
    auto key = domain::generate_swarm_key();
    ASSERT_TRUE(s.write("ipfs-overlay/swarm-key", {key->canonical_text(), key->fingerprint().hex(), "bob", "rotate"}, 1));
  };
  auto report = rotate(ctx, swarm);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::conflict);
  EXPECT_NE(report.error().message.find("expected current version 1, now 2"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(store.writes, 2);                      // ours never landed
  EXPECT_EQ(target_a->fingerprint, delivered);     // targets untouched
  EXPECT_EQ(events_for("rotate").back().outcome, "failure");
}

TEST_F(UseCases, AFailingTargetIsReportedAndTheOthersStillGetTheKey) {
  target_a->failure = Error{ErrorCode::io, "disk full"};
  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->failed_targets(), 1U);
  EXPECT_EQ(to_string(report->targets[0].outcome), "failed");
  EXPECT_EQ(report->targets[0].error, "disk full");
  EXPECT_EQ(to_string(report->targets[1].outcome), "changed");
  EXPECT_EQ(target_b->fingerprint, report->fingerprint);
  auto syncs = events_for("sync");
  ASSERT_EQ(syncs.size(), 2U);
  EXPECT_EQ(syncs[0].outcome, "failure");
  EXPECT_EQ(syncs[0].target, "fake a");
}

TEST_F(UseCases, SyncIsIdempotent) {
  ASSERT_TRUE(rotate(ctx, swarm));
  auto again = sync(ctx, swarm);
  ASSERT_TRUE(again);
  EXPECT_EQ(to_string(again->targets[0].outcome), "unchanged");
  EXPECT_EQ(target_a->writes, 1);
}

TEST_F(UseCases, SyncOfAnEmptyStoreIsNotFound) {
  auto report = sync(ctx, swarm);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::not_found);
  EXPECT_EQ(events_for("sync").back().outcome, "failure");
}

TEST_F(UseCases, FetchReadsAGivenVersionAndIsAudited) {
  auto v1 = rotate(ctx, swarm);
  ASSERT_TRUE(rotate(ctx, swarm));
  auto fetched = fetch(ctx, swarm, 1);
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->info.version, 1);
  EXPECT_EQ(fetched->data.fingerprint, v1->fingerprint);
  EXPECT_EQ(events_for("fetch").back().version, 1);
  EXPECT_EQ(events_for("fetch").back().fingerprint, v1->fingerprint);

  auto missing = fetch(ctx, swarm, 7);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_EQ(events_for("fetch").back().outcome, "failure");
}

TEST_F(UseCases, HistoryListsEveryVersionWithoutKeys) {
  ASSERT_TRUE(rotate(ctx, swarm));
  ASSERT_TRUE(rotate(ctx, swarm, "scheduled"));
  auto entries = history(ctx, swarm);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].version, 1);
  EXPECT_EQ((*entries)[1].reason, "scheduled");
  EXPECT_EQ((*entries)[1].issued_by, "alice");
  EXPECT_EQ((*entries)[1].fingerprint, target_a->fingerprint);
}

TEST_F(UseCases, ImportStoresTheCanonicalFormAndCarriesWarnings) {
  auto key = domain::generate_swarm_key();
  ASSERT_TRUE(key);
  std::string crlf(key->canonical_text().reveal_text());
  for (std::size_t pos = 0; (pos = crlf.find('\n', pos)) != std::string::npos; pos += 2) crlf.insert(pos, "\r");
  auto report = import_key(ctx, swarm, Secret::from_text(crlf));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->fingerprint, key->fingerprint().hex());
  EXPECT_EQ(report->reason, "import");
  EXPECT_FALSE(report->warnings.empty());
  auto stored = store.read(swarm.path, std::nullopt);
  EXPECT_EQ(stored->data.key_text, key->canonical_text());
}

TEST_F(UseCases, ImportRefusesInvalidAndWeakKeysWithoutWriting) {
  auto invalid = import_key(ctx, swarm, Secret::from_text("/key/swarm/psk/1.0.0/\n/base16/\nzz\n"));
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::invalid_input);
  auto weak = import_key(ctx, swarm, Secret::from_text("/key/swarm/psk/1.0.0/\n/base16/\n" + std::string(64, '0') + "\n"));
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(store.writes, 0);
  EXPECT_EQ(events_for("import").size(), 2U);
  EXPECT_EQ(events_for("import")[1].outcome, "failure");
}

TEST_F(UseCases, RollbackRepromotesAnOldKeyAsANewVersion) {
  auto v1 = rotate(ctx, swarm);
  ASSERT_TRUE(rotate(ctx, swarm));
  auto report = rollback(ctx, swarm, 1);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 3);
  EXPECT_EQ(report->fingerprint, v1->fingerprint);
  EXPECT_EQ(report->reason, "rollback");
  EXPECT_EQ(target_a->fingerprint, v1->fingerprint);
  auto missing = rollback(ctx, swarm, 9);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

// Every use case that writes a new version lets its targets start their read-only checks before
// the store's work (ports::Target::prepare: the kubernetes target's permission review and workload
// reads run beside it), once per version; a sync writes nothing and prepares nothing.
TEST_F(UseCases, RotateImportAndRollbackPrepareTheTargetsBeforeTheStoreWrites) {
  std::vector<int> writes_seen;  // the store's writes so far, at each prepare()
  target_a->on_prepare = [&] { writes_seen.push_back(store.writes); };
  ASSERT_TRUE(rotate(ctx, swarm));
  EXPECT_EQ(writes_seen, std::vector<int>{0});
  EXPECT_EQ(target_b->prepared, 1);
  ASSERT_TRUE(rotate(ctx, swarm));
  ASSERT_TRUE(rollback(ctx, swarm, 1));
  const auto key = domain::generate_swarm_key();
  ASSERT_TRUE(key);
  ASSERT_TRUE(import_key(ctx, swarm, key->canonical_text()));
  EXPECT_EQ(writes_seen, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_TRUE(sync(ctx, swarm));
  EXPECT_EQ(target_a->prepared, 4);
  EXPECT_EQ(target_b->prepared, 4);
}

TEST_F(UseCases, AnUnauditableOperationFails) {
  audit.failure = Error{ErrorCode::io, "audit disk full"};
  auto report = rotate(ctx, swarm);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("audit"), std::string::npos);
}

TEST_F(UseCases, StoreUnavailableIsReportedAndAudited) {
  store.failure = Error{ErrorCode::unavailable, "store down"};
  auto report = rotate(ctx, swarm);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::unavailable);
  EXPECT_EQ(events_for("rotate").back().error, "store down");
}

TEST_F(UseCases, AuditEntriesNeverHoldKeyMaterial) {
  ASSERT_TRUE(rotate(ctx, swarm));
  ASSERT_TRUE(rollback(ctx, swarm, 1));
  ASSERT_TRUE(fetch(ctx, swarm, std::nullopt));
  const std::string key_text = target_a->key_text;
  const std::string hex = key_text.substr(key_text.rfind('/') + 2, 64);
  ASSERT_EQ(hex.size(), 64U);
  for (const auto& e : audit.events) {
    for (const std::string* field : {&e.fingerprint, &e.error, &e.target, &e.swarm, &e.actor, &e.action}) {
      EXPECT_EQ(field->find(hex), std::string::npos);
      EXPECT_EQ(field->find("/key/swarm/psk"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace keyd::app

namespace keyd::app {
namespace {

// A target whose apply() lets another writer rotate in the middle of delivery, the way a second
// keyd process would: the first process must not leave targets on its now-stale version.
class InterleavingTarget final : public ports::Target {
 public:
  explicit InterleavingTarget(std::function<void()> during) : m_during(std::move(during)) {}
  [[nodiscard]] std::string describe() const override { return "interleaving"; }
  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& d) override {
    if (m_during) std::exchange(m_during, nullptr)();
    delivered.push_back(d.version);
    return ports::ApplyOutcome::changed;
  }
  std::vector<int> delivered;

 private:
  std::function<void()> m_during;
};

TEST(Delivery, ANewerVersionWrittenDuringDeliveryIsDeliveredToo) {
  testing::InMemoryStore store;
  testing::RecordingAudit audit;
  testing::FakeClock clock;
  Context ctx{store, audit, clock, "alice"};
  Swarm swarm{"s", "s/swarm-key", {}};
  auto target = std::make_unique<InterleavingTarget>([&store] {
    auto key = domain::generate_swarm_key();
    ASSERT_TRUE(store.write("s/swarm-key", {key->canonical_text(), key->fingerprint().hex(), "bob", "rotate"}, 1));
  });
  auto* t = target.get();
  swarm.targets.push_back(std::move(target));

  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 1);
  EXPECT_EQ(t->delivered, (std::vector<int>{1, 2}));
  ASSERT_EQ(report->warnings.size(), 1U);
  EXPECT_NE(report->warnings[0].find("superseded by version 2"), std::string::npos);
}

}  // namespace
}  // namespace keyd::app

namespace keyd::app {
namespace {

TEST_F(UseCases, AFailedRolloutPutsThePreviousKeyBackWhenTheTargetAsksForIt) {
  auto v1 = rotate(ctx, swarm);
  ASSERT_TRUE(v1);
  const std::string old_fp = v1->fingerprint;
  target_a->rollback = true;
  target_a->failure = Error{ErrorCode::timeout, "rollout of sts/ipfs did not finish"};
  target_a->fails_for = [old_fp](std::string_view fp) { return fp != old_fp; };

  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(report->failed_targets(), 1U);
  ASSERT_TRUE(report->rollback);
  EXPECT_EQ(report->rollback->version, 3);
  EXPECT_EQ(report->rollback->fingerprint, old_fp);
  EXPECT_EQ(report->rollback->reason, "rollback");
  EXPECT_EQ(report->rollback->failed_targets(), 0U);
  EXPECT_EQ(target_a->fingerprint, old_fp);
  EXPECT_EQ(target_b->fingerprint, old_fp);  // every target is back on one key
  auto rollbacks = events_for("rollback");
  ASSERT_EQ(rollbacks.size(), 2U);
  EXPECT_EQ(rollbacks[0].outcome, "intent");
  EXPECT_EQ(rollbacks[1].outcome, "success");
  EXPECT_EQ(rollbacks[1].version, 3);
}

TEST_F(UseCases, NoRollbackWhenTheFailingTargetDoesNotAskOrThereIsNoPreviousKey) {
  target_a->failure = Error{ErrorCode::timeout, "stuck"};
  target_a->rollback = true;
  auto first = rotate(ctx, swarm);  // version 1: nothing to roll back to
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->rollback);
  EXPECT_NE(first->warnings.back().find("no previous key"), std::string::npos);

  target_a->rollback = false;
  auto second = rotate(ctx, swarm);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->rollback);
  EXPECT_EQ(second->version, 2);
  EXPECT_TRUE(events_for("rollback").empty());
}

}  // namespace
}  // namespace keyd::app
