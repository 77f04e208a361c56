// The daemon's reconciler with the fake clock: initial issuance, scheduled rotation exactly when
// due and only inside the window, restarts, out-of-band changes, hand edits, no needless writes,
// backoff after failures, followers.
#include "daemon_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::app {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using testing::DaemonFixture;

domain::RotationPolicy every(hours max_age, std::string_view window = {}) {
  domain::RotationPolicy policy{duration_cast<seconds>(max_age), std::nullopt};
  if (!window.empty()) policy.window = *domain::RotationWindow::parse(window);
  return policy;
}

std::size_t count_actions(const testing::RecordingAudit& audit, std::string_view action, std::string_view outcome) {
  return static_cast<std::size_t>(std::ranges::count_if(
      audit.events, [&](const ports::AuditEvent& e) { return e.action == action && e.outcome == outcome; }));
}

TEST(DaemonReconciler, IssuesTheFirstKeyAtStartUpAndAuditsIt) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  daemon->tick();
  EXPECT_EQ(f.current_version(), 1);
  EXPECT_EQ(f.stored_reason(), "initial");
  EXPECT_EQ(f.target.version, 1);
  ASSERT_EQ(count_actions(f.audit, "rotate", "success"), 1U);
  EXPECT_EQ(f.audit.events.front().actor, "keyd-daemon");
  const auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.version, 1);
  EXPECT_EQ(state.fingerprint, f.target.fingerprint);
  EXPECT_EQ(state.created, f.clock.now());
  ASSERT_TRUE(state.schedule);
  EXPECT_EQ(state.schedule->due, f.clock.now() + 720h);
  EXPECT_EQ(state.rotations.at(RotationOutcome::success), 1U);
  EXPECT_EQ(to_string(state.targets.at(0).state), "in_sync");
}

TEST(DaemonReconciler, RotatesExactlyWhenDueAndWakesUpForIt) {
  DaemonFixture f;
  auto daemon = f.make(every(720h), true, 1h);  // the interval does not line up with the due time
  daemon->tick();
  const auto due = f.clock.now() + 720h;
  f.clock.advance(720h - 1s);
  const auto wake = daemon->tick();
  EXPECT_EQ(f.current_version(), 1) << "not due yet";
  EXPECT_EQ(wake, due) << "the next tick is the due time, not the next interval";
  f.clock.advance(1s);
  daemon->tick();
  EXPECT_EQ(f.current_version(), 2);
  EXPECT_EQ(f.stored_reason(), "scheduled");
  EXPECT_EQ(f.target.version, 2);
  EXPECT_EQ(daemon->snapshot().at(0).schedule->due, due + 720h);
}

// Run the daemon as its runner does (sleep until the returned wake time) and collect rotations.
std::vector<domain::TimePoint> run_until(DaemonFixture& f, Reconciler& daemon, domain::TimePoint end) {
  std::vector<domain::TimePoint> rotations;
  int version = f.current_version();
  while (f.clock.now() < end) {
    const auto wake = daemon.tick();
    if (f.current_version() != version) {
      version = f.current_version();
      rotations.push_back(f.clock.now());
    }
    EXPECT_GT(wake, f.clock.now() - 1ns);
    f.clock.advance(std::max(wake - f.clock.now(), system_clock::duration{1s}));
  }
  return rotations;
}

TEST(DaemonReconciler, RotatesOnlyInsideTheWindow) {
  // Saturday 2026-11-28 10:00 UTC; due every 24h, but only Mon-Fri 02:00-04:00.
  DaemonFixture f{sys_days{2026y / November / 28} + 10h};
  auto daemon = f.make(every(24h, "Mon-Fri 02:00-04:00"), true, 10min);
  daemon->tick();  // initial issuance, whenever it is
  ASSERT_EQ(f.current_version(), 1);
  const auto rotations = run_until(f, *daemon, sys_days{2026y / December / 12});
  const auto window = *domain::RotationWindow::parse("Mon-Fri 02:00-04:00");
  const std::vector<domain::TimePoint> want{
      sys_days{2026y / November / 30} + 2h,  // Monday: due since Sunday 10:00, first minute of the window
      sys_days{2026y / December / 1} + 2h,  sys_days{2026y / December / 2} + 2h,
      sys_days{2026y / December / 3} + 2h,  sys_days{2026y / December / 4} + 2h,  // Friday
      sys_days{2026y / December / 7} + 2h,                                        // due Saturday 02:00: Monday
      sys_days{2026y / December / 8} + 2h,  sys_days{2026y / December / 9} + 2h,
      sys_days{2026y / December / 10} + 2h, sys_days{2026y / December / 11} + 2h,
  };
  EXPECT_EQ(rotations, want);
  for (const auto t : rotations) EXPECT_TRUE(window.contains(t));
  EXPECT_EQ(f.current_version(), 11);
  EXPECT_EQ(count_actions(f.audit, "rotate", "failure"), 0U);
}

TEST(DaemonReconciler, ARestartNeitherRotatesEarlyNorTwice) {
  DaemonFixture f;
  const auto start = f.clock.now();
  f.make(every(720h))->tick();  // first process: issues version 1, then exits
  ASSERT_EQ(f.current_version(), 1);

  f.clock.advance(719h);
  f.make(every(720h))->tick();  // restarted an hour before the due time
  EXPECT_EQ(f.current_version(), 1) << "rotated early after a restart";

  f.clock.advance(1h);
  auto second = f.make(every(720h));
  second->tick();
  EXPECT_EQ(f.current_version(), 2);
  f.make(every(720h))->tick();  // restarted right after the rotation
  second->tick();
  EXPECT_EQ(f.current_version(), 2) << "rotated twice for one due time";
  EXPECT_EQ(second->snapshot().at(0).schedule->due, start + 1440h);
  EXPECT_EQ(f.target.writes, 2);
}

TEST(DaemonReconciler, AnOutOfBandStoreChangeReachesTheTargetsWithinOneInterval) {
  DaemonFixture f;
  f.jitter = 0.999;  // the longest interval: 30 s stretched by 10%
  auto daemon = f.make(every(720h));
  daemon->tick();
  const std::string fingerprint = f.write_out_of_band(1);  // e.g. `vault kv rollback`
  const auto events = f.audit.events.size();
  const auto wake = daemon->tick();
  EXPECT_NE(f.target.fingerprint, fingerprint) << "checked before the interval passed";
  EXPECT_LE(wake - f.clock.now(), 33s);
  f.clock.advance(wake - f.clock.now());
  daemon->tick();
  EXPECT_EQ(f.target.fingerprint, fingerprint);
  EXPECT_EQ(f.target.version, 2);
  EXPECT_EQ(f.current_version(), 2) << "the daemon must not write a version of its own";
  // The version written outside keyd has no entry of its own: the daemon records it as recovered.
  ASSERT_EQ(f.audit.events.size(), events + 2);
  EXPECT_EQ(f.audit.events[events].action, "recovered");
  EXPECT_EQ(f.audit.events[events].version, 2);
  EXPECT_EQ(f.audit.events.back().action, "sync");
  EXPECT_EQ(f.audit.events.back().version, 2);
  EXPECT_EQ(to_string(daemon->snapshot().at(0).targets.at(0).state), "repaired");
}

TEST(DaemonReconciler, AHandEditedTargetIsPutBack) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  daemon->tick();
  const std::string good = f.target.fingerprint;
  f.target.fingerprint = "0123456789abcdef0123456789abcdef";  // someone edited the Secret
  f.clock.advance(31s);
  daemon->tick();
  EXPECT_EQ(f.target.fingerprint, good);
  EXPECT_EQ(f.target.writes, 2);
  EXPECT_EQ(f.current_version(), 1);
  EXPECT_EQ(count_actions(f.audit, "sync", "success"), 2U);                   // the initial delivery and the repair
  EXPECT_EQ(daemon->snapshot().at(0).targets.at(0).syncs.at(DeliveryOutcome::changed), 2U);  // the same two
}

// Issue 18: the first key of a swarm took 7 store requests (on Vault: 7 HTTP requests), among them a
// read-back of the key just written and two metadata reads that accounted for nothing.
TEST(DaemonReconciler, TheFirstKeyTakesFourStoreRequestsWithoutReadingItBack) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  daemon->tick();
  // metadata (nothing stored), the check-and-set write, the post-delivery catch-up's metadata, and
  // the metadata that finds the written version still current.
  EXPECT_EQ(f.store.write_calls, 1);
  EXPECT_EQ(f.store.metadata_calls, 3);
  EXPECT_EQ(f.store.read_calls, 0);
  // What the reconciler kept is what is stored: its schedule, and the key a hand-edited target gets back.
  auto stored = f.store.inner.read("a/swarm-key", std::nullopt);
  ASSERT_TRUE(stored.has_value());
  const auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.version, 1);
  EXPECT_EQ(state.fingerprint, stored->data.fingerprint);
  EXPECT_EQ(state.created, f.clock.now());
  f.target.fingerprint = "0123456789abcdef0123456789abcdef";
  f.target.key_text = "edited by hand";
  f.clock.advance(31s);
  daemon->tick();
  EXPECT_EQ(f.target.key_text, stored->data.key_text.reveal_text());
  EXPECT_EQ(f.target.fingerprint, stored->data.fingerprint);
  EXPECT_EQ(f.store.read_calls, 0);
}

TEST(DaemonReconciler, AVersionWrittenRightAfterTheFirstKeyIsReadNotAssumed) {
  DaemonFixture f;
  std::string theirs;
  f.store.after_write = [&] {
    f.store.after_write = nullptr;
    theirs = f.write_out_of_band(1);  // another writer, between keyd's write and its delivery
  };
  auto daemon = f.make(every(720h));
  daemon->tick();
  EXPECT_EQ(f.current_version(), 2);
  const auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.version, 2);
  EXPECT_EQ(state.fingerprint, theirs);
  EXPECT_EQ(f.target.fingerprint, theirs);
  EXPECT_GE(f.store.read_calls, 1);
}

TEST(DaemonReconciler, WithoutCheckAndSetTheFirstKeyIsReadBack) {
  DaemonFixture f;
  f.store.capabilities_.check_and_set = false;  // mcp: the write's version number proves nothing
  auto daemon = f.make(every(720h));
  daemon->tick();
  EXPECT_EQ(f.store.read_calls, 1);
  auto stored = f.store.inner.read("a/swarm-key", std::nullopt);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(daemon->snapshot().at(0).fingerprint, stored->data.fingerprint);
}

TEST(DaemonReconciler, UnchangedStateMakesNoWritesAndReadsOnlyMetadata) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  auto wake = daemon->tick();
  const auto events = f.audit.events.size();
  const int reads = f.store.read_calls;
  const int metadata = f.store.metadata_calls;
  for (int i = 0; i < 100; ++i) {
    f.clock.advance(wake - f.clock.now());
    wake = daemon->tick();
  }
  EXPECT_EQ(f.current_version(), 1);
  EXPECT_EQ(f.store.inner.writes, 1);
  EXPECT_EQ(f.target.writes, 1);
  EXPECT_EQ(f.audit.events.size(), events) << "an unchanged check is not audited";
  EXPECT_EQ(f.store.read_calls, reads) << "the key is read only when the version changes";
  EXPECT_EQ(f.store.metadata_calls, metadata + 100);
  EXPECT_EQ(daemon->snapshot().at(0).targets.at(0).syncs.at(DeliveryOutcome::unchanged), 100U);
}

TEST(DaemonReconciler, StoreFailuresBackOffExponentiallyUpToTheCap) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  f.store.failure = Error{ErrorCode::unavailable, "vault https://vault:8200: 503 sealed"};
  std::vector<milliseconds> delays;
  for (int i = 0; i < 12; ++i) {
    const auto before = f.store.metadata_calls;
    const auto wake = daemon->tick();
    EXPECT_EQ(f.store.metadata_calls, before + 1);
    delays.push_back(duration_cast<milliseconds>(wake - f.clock.now()));
    // Ticking early (a spurious wake-up) touches nothing.
    f.clock.advance(wake - f.clock.now() - 1ms);
    daemon->tick();
    EXPECT_EQ(f.store.metadata_calls, before + 1);
    f.clock.advance(1ms);
  }
  EXPECT_EQ(delays.front(), 2500ms);  // half of the 5 s base (jitter 0)
  EXPECT_TRUE(std::ranges::is_sorted(delays));
  EXPECT_EQ(delays.back(), 5min);  // half of the 10 min cap
  auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.consecutive_failures, 12);
  EXPECT_FALSE(state.store_reachable);
  EXPECT_NE(state.last_error.find("503 sealed"), std::string::npos);
  EXPECT_EQ(f.current_version(), 0);

  f.store.failure.reset();
  daemon->tick();
  state = daemon->snapshot().at(0);
  EXPECT_EQ(state.consecutive_failures, 0);
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(f.current_version(), 1);
}

TEST(DaemonReconciler, AFailingTargetNeverCausesARotationStorm) {
  DaemonFixture f;
  auto daemon = f.make(every(24h));
  daemon->tick();
  f.target.failure = Error{ErrorCode::unavailable, "kubernetes ipfs/ipfs-swarm-key: 503"};
  f.clock.advance(24h);
  int ticks = 0;
  for (const auto end = f.clock.now() + 1h; f.clock.now() < end; ++ticks) {
    f.clock.advance(daemon->tick() - f.clock.now());
  }
  EXPECT_EQ(f.current_version(), 2) << "one rotation for one due time, however long delivery fails";
  const auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.rotations.at(RotationOutcome::delivery_failed), 1U);
  EXPECT_GE(state.consecutive_failures, 5);
  EXPECT_EQ(to_string(state.targets.at(0).state), "failed");
  EXPECT_LE(ticks, 30) << "retries back off instead of spinning";

  f.target.failure.reset();
  f.clock.advance(daemon->tick() - f.clock.now());
  daemon->tick();
  EXPECT_EQ(f.target.version, 2);
  EXPECT_EQ(daemon->snapshot().at(0).consecutive_failures, 0);
}

TEST(DaemonReconciler, AFollowerNeverWritesButKnowsTheState) {
  DaemonFixture f;
  auto follower = f.make(every(720h), false);
  follower->tick();
  EXPECT_EQ(f.current_version(), 0) << "a follower issued a key";
  f.make(every(720h))->tick();  // the leader issues
  f.clock.advance(721h);
  f.clock.advance(follower->tick() - f.clock.now());
  follower->tick();
  EXPECT_EQ(f.current_version(), 1) << "a follower rotated";
  EXPECT_EQ(f.target.writes, 1);
  const auto state = follower->snapshot().at(0);
  EXPECT_EQ(state.version, 1);
  EXPECT_TRUE(state.schedule->rotate_now(f.clock.now()));
  const auto rotated = follower->rotate("a", "alice");
  ASSERT_FALSE(rotated);
  EXPECT_EQ(rotated.error().code, ErrorCode::unavailable);

  follower->set_leader(true);  // took over: the overdue rotation happens at once
  follower->tick();
  EXPECT_EQ(f.current_version(), 2);
}

TEST(DaemonReconciler, ANewLeaderChecksAtOnceInsteadOfWaitingForTheNextInterval) {
  DaemonFixture f;
  auto follower = f.make(every(720h), false);
  follower->tick();             // sees no key yet; its next check is a sync_interval away
  f.make(every(720h))->tick();  // the (old) leader issues version 1, then dies
  ASSERT_EQ(f.current_version(), 1);
  EXPECT_EQ(follower->snapshot().at(0).version, 0);
  f.clock.advance(1s);
  follower->set_leader(true);
  follower->tick();
  EXPECT_EQ(follower->snapshot().at(0).version, 1) << "the new leader did not re-read the store";
  EXPECT_EQ(f.current_version(), 1) << "the new leader issued a second first key";
}

TEST(DaemonReconciler, OnDemandRotateAndSyncAreAuditedWithTheCaller) {
  DaemonFixture f;
  auto daemon = f.make(every(720h));
  daemon->tick();
  auto report = daemon->rotate("a", "token:ci-bot");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(f.audit.events.back().actor, "token:ci-bot");
  EXPECT_EQ(daemon->snapshot().at(0).version, 2);

  f.target.fingerprint.clear();
  auto synced = daemon->sync("a", "token:ops");
  ASSERT_TRUE(synced) << synced.error().message;
  EXPECT_EQ(to_string(synced->targets.at(0).state), "repaired");
  EXPECT_EQ(f.audit.events.back().actor, "token:ops");
  EXPECT_EQ(f.audit.events.back().action, "sync");

  EXPECT_EQ(daemon->rotate("nope", "x").error().code, ErrorCode::not_found);
  EXPECT_EQ(daemon->sync("nope", "x").error().code, ErrorCode::not_found);
}

TEST(DaemonReconciler, AConcurrentWriterWinsWithoutCountingAsAFailure) {
  DaemonFixture f;
  auto daemon = f.make(every(24h));
  daemon->tick();
  f.clock.advance(24h);
  f.store.inner.before_write = [&](testing::InMemoryStore&) { (void)f.write_out_of_band(1); };
  daemon->tick();
  EXPECT_EQ(f.current_version(), 2);  // the other writer's version, not two new ones
  auto state = daemon->snapshot().at(0);
  EXPECT_EQ(state.rotations.at(RotationOutcome::conflict), 1U);
  EXPECT_EQ(state.consecutive_failures, 0);
  f.clock.advance(daemon->tick() - f.clock.now());
  daemon->tick();
  state = daemon->snapshot().at(0);
  EXPECT_EQ(state.version, 2);
  EXPECT_FALSE(state.schedule->rotate_now(f.clock.now())) << "the competing version is fresh";
  EXPECT_EQ(f.target.version, 2);
}

}  // namespace
}  // namespace keyd::app
