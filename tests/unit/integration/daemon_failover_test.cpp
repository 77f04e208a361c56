// Two (and, after restarts, more) complete daemon stacks — a DaemonService around a Reconciler and a
// Lease elector each, wired as `keyd daemon` wires them — sharing one file store directory and one
// kube-apiserver double, stepped alternately with one fake clock: each elector every retry period
// from its own phase, each reconciler at the wake time it asks for (capped at 1 s, as the runner
// does). The leader is killed (no more steps, no release) at pseudo-random points and replaced by a
// new identity. Checked: one version per due time over many cycles, never two leaders at one
// instant, every takeover within lease_duration + retry_period of the kill, and a stale leader never
// adds a version for a due time another leader already served.
#include "daemon_failover_fixture.hpp"

namespace keyd::app::failover {
namespace {

TEST_F(DaemonFailover, OneVersionPerDueTimeAndBoundedTakeoversOverManyCyclesWithKilledLeaders) {
  constexpr int k_cycles = 20;
  const TimePoint begin = clock.now();
  const TimePoint end = begin + k_cycles * k_max_age + 30s;
  int generation = 0;
  auto next_name = [&] { return "keyd-" + std::to_string(generation++); };
  start(next_name());
  clock.advance(std::uniform_int_distribution<int>(1, 1999)(random) * 1ms);  // a second daemon, another phase
  start(next_name());

  // Kill the leader at pseudo-random points (some near a due time), restart a new identity later.
  std::vector<TimePoint> kills;
  for (int cycle = 2; cycle < k_cycles - 1; cycle += 3) {
    const auto offset = std::uniform_int_distribution<int>(-10'000, 50'000)(random) * 1ms;
    kills.push_back(begin + cycle * k_max_age + offset);
  }
  struct Takeover {
    TimePoint killed;
    std::optional<TimePoint> led;
  };
  std::vector<Takeover> takeovers;
  std::optional<TimePoint> restart_at;
  std::size_t next_kill = 0;
  bool reverse = false;
  while (clock.now() < end) {
    step_all(reverse = !reverse);
    if (HasFatalFailure()) return;
    if (!takeovers.empty() && !takeovers.back().led && !leaders().empty()) takeovers.back().led = clock.now();
    if (next_kill < kills.size() && clock.now() >= kills[next_kill] && leaders().size() == 1) {
      Stack* leader = leaders().front();
      leader->alive = false;  // killed: no release, no more steps
      takeovers.push_back({clock.now(), std::nullopt});
      restart_at = clock.now() + std::uniform_int_distribution<int>(5, 40)(random) * 1s;
      ++next_kill;
    }
    if (restart_at && clock.now() >= *restart_at) {
      start(next_name());
      restart_at.reset();
    }
    clock.advance(k_clock_step);
  }

  ASSERT_EQ(takeovers.size(), kills.size()) << "the leader was not killed as often as planned";
  std::cout << "[ measure  ] takeover after each kill (fake time, ms):";
  for (const auto& t : takeovers) {
    if (t.led) std::cout << " " << std::chrono::duration_cast<std::chrono::milliseconds>(*t.led - t.killed).count();
  }
  std::cout << " (lease 15000, retry 2000)\n";
  for (const auto& t : takeovers) {
    ASSERT_TRUE(t.led) << "nobody took over after the kill at " << ports::format_rfc3339(t.killed);
    EXPECT_LE(*t.led - t.killed, k_lease_duration + k_retry_period)
        << "takeover after the kill at " << ports::format_rfc3339(t.killed) << " took "
        << std::chrono::duration_cast<std::chrono::milliseconds>(*t.led - t.killed).count() << " ms";
  }

  // One version per due time: each version was created at or after the previous one's due time,
  // and no later than that due time plus the longest possible leaderless gap plus one tick; the
  // last one is not overdue.
  const auto versions = history();
  ASSERT_GE(versions.size(), static_cast<std::size_t>(k_cycles) + 1U);
  EXPECT_EQ(versions.front().first, 1);
  for (std::size_t i = 1; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i].first, versions[i - 1].first + 1);
    const auto gap = versions[i].second - versions[i - 1].second;
    EXPECT_GE(gap, k_max_age) << "version " << versions[i].first << " came before version " << versions[i - 1].first
                              << " was due";
    EXPECT_LE(gap, k_max_age + k_lease_duration + k_retry_period + 1s)
        << "version " << versions[i].first << " came late";
  }
  EXPECT_GT(versions.back().second + k_max_age, clock.now() - k_clock_step - 1s)
      << "a due rotation was missed at the end";
  // Each version was audited once, by the daemon that wrote it; the first one as the initial key.
  EXPECT_EQ(audited("rotate", "success"), versions.size());
  EXPECT_EQ(std::ranges::count_if(audit.events,
                                  [](const ports::AuditEvent& e) { return e.action == "rotate" && e.outcome != "intent"; }),
            static_cast<std::ptrdiff_t>(versions.size()))
      << "a rotation was attempted and refused: two daemons decided on the same due time";
  EXPECT_EQ(target.version, versions.back().first) << "the shared target does not hold the current key";
}

TEST_F(DaemonFailover, AFollowerTakesOverWhenTheLeaseExpiresNotAtItsFirstRoundAfterThat) {
  // The worst phase: the follower steps 1.5 s after the leader, which is killed right after a
  // renewal. The follower first sees that renewal 1.5 s late; rounds every 2 s would then find the
  // 15 s lease expired only at 16 s, 17.5 s after the kill.
  Stack& a = start("keyd-a");
  clock.advance(1500ms);
  Stack& b = start("keyd-b");
  ASSERT_TRUE(a.status.leading);
  const TimePoint settled = clock.now() + 6s;
  for (int i = 0; i < 100 && (clock.now() < settled || a.next_step != clock.now() + k_retry_period); ++i) {
    clock.advance(k_clock_step);  // a few rounds, until a has just renewed
    step_all(false);
    if (HasFatalFailure()) return;
  }
  ASSERT_EQ(a.next_step, clock.now() + k_retry_period);
  a.alive = false;
  const TimePoint killed = clock.now();
  std::optional<TimePoint> led;
  for (int i = 0; i < 100 && !led; ++i) {
    clock.advance(k_clock_step);
    step_all(false);
    if (b.status.leading) led = clock.now();
  }
  ASSERT_TRUE(led);
  EXPECT_GE(*led - killed, k_lease_duration) << "took over before the lease expired";
  EXPECT_LE(*led - killed, k_lease_duration + k_retry_period);
}

TEST_F(DaemonFailover, AStaleLeaderDoesNotAddASecondVersionForADueTimeTheNewLeaderServed) {
  Stack& a = start("keyd-a");
  clock.advance(700ms);
  Stack& b = start("keyd-b");
  ASSERT_TRUE(a.status.leading);
  ASSERT_FALSE(b.status.leading);
  step_all(false);
  const auto first = history();
  ASSERT_EQ(first.size(), 1U);
  const TimePoint due = first.front().second + k_max_age;
  bool reverse = false;
  while (clock.now() < due) {
    clock.advance(k_clock_step);
    if (clock.now() < due) step_all(reverse = !reverse);
    if (HasFatalFailure()) return;
  }
  ASSERT_EQ(history().size(), 1U);

  // At the due time a reads the store's metadata (version 1, due) and decides to rotate, but the
  // answer stalls. Meanwhile a's elector (its own thread) cannot reach the API server, steps down at
  // the renew deadline, and b takes over when the lease expires and rotates. Then a goes on with
  // the decision its tick took while it still led.
  bool stalled = false;
  a.store->after_metadata = [&] {
    stalled = true;
    kube().control(
        "POST", "faults",
        {{"method", "PUT"}, {"path", "/leases/keyd$"}, {"user", "keyd-a"}, {"status", 403}, {"times", nullptr}});
    for (int i = 0; i < 200 && !b.status.leading; ++i) {
      clock.advance(k_clock_step);
      for (Stack* s : {&a, &b}) {
        if (clock.now() >= s->next_step) elect(*s);
      }
    }
    ASSERT_TRUE(b.status.leading);
    ASSERT_FALSE(a.status.leading);
    tick(b);
    ASSERT_EQ(history().size(), 2U) << "the new leader did not rotate the due key";
  };
  step_all(false);
  ASSERT_TRUE(stalled) << "a did not check the store at the due time";
  EXPECT_EQ(history().size(), 2U) << "the stale leader rotated a second time for one due time";
  EXPECT_EQ(audited("rotate", "success"), 2U);
  EXPECT_EQ(a.service->swarms().at(0).rotations.at(RotationOutcome::success), 1U) << "a issued the initial key only";
  EXPECT_EQ(b.service->swarms().at(0).rotations.at(RotationOutcome::success), 1U);
}

TEST_F(DaemonFailover, TheLeaseNeverPromisesLessThanTheConfiguredDuration) {
  // leaseDurationSeconds is whole seconds; 1.5 s rounded down to 1 s would let a follower take over
  // while the leader still leads under its 1.2 s renew deadline.
  adapters::LeaseOptions lease;
  lease.lease_duration = 1500ms;
  lease.renew_deadline = 1200ms;
  lease.retry_period = 500ms;
  Stack& a = start("keyd-a", lease);
  ASSERT_TRUE(a.status.leading);
  const json l = kube().object("coordination.k8s.io", "leases", "default", "keyd");
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 2) << l.dump();
}

}  // namespace
}  // namespace keyd::app::failover
