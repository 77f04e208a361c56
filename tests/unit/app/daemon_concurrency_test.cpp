// The daemon checks up to `concurrency` swarms at once: never more, one at a time when the store
// cannot take concurrent calls, every swarm still issued, audited and reported in order. And the
// store wrappers the daemon puts around its store pass the store's capabilities on.
#include "daemon_test_support.hpp"

#include "keyd/app/daemon_service.hpp"
#include "keyd/app/store_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <type_traits>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;
using testing::ClockedStore;
using testing::FakeClock;
using testing::FakeTarget;
using testing::RecordingAudit;

// A store that records how many calls were in it at once: each call waits a little (as a request
// or an fsync would) before the inner store, which runs one call at a time, answers.
class GateStore final : public ports::SecretStore {
 public:
  GateStore(ports::SecretStore& inner, bool concurrent) : m_inner(inner), m_concurrent(concurrent) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override {
    auto caps = m_inner.capabilities();
    caps.concurrent = m_concurrent;
    return caps;
  }
  std::atomic<int> most{0};

 private:
  template <typename F>
  std::invoke_result_t<F> pass(F call) {
    const int now = ++m_in;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(3ms);
    std::unique_lock lock(m_mutex);
    auto result = call();
    lock.unlock();
    --m_in;
    return result;
  }

 public:
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override {
    return pass([&] { return m_inner.metadata(path); });
  }
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    return pass([&] { return m_inner.read(path, version); });
  }
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    return pass([&] { return m_inner.write(path, data, cas); });
  }
 private:
  ports::SecretStore& m_inner;
  bool m_concurrent;
  std::atomic<int> m_in{0};
  std::mutex m_mutex;
};

// RecordingAudit for several threads.
class LockedAudit final : public ports::AuditLog {
 public:
  Status append(const ports::AuditEvent& event) override {
    const std::lock_guard lock(m_mutex);
    return inner.append(event);
  }
  Result<ports::AuditAnchor> append_anchored(const ports::AuditEvent& event) override {
    const std::lock_guard lock(m_mutex);
    return inner.append_anchored(event);
  }
  Result<std::optional<int>> newest_written_version(std::string_view swarm) override {
    const std::lock_guard lock(m_mutex);
    return inner.newest_written_version(swarm);
  }
  RecordingAudit inner;

 private:
  std::mutex m_mutex;
};

struct ManySwarms {
  explicit ManySwarms(int count) : targets(static_cast<std::size_t>(count)) {
    for (int i = 0; i < count; ++i) targets[static_cast<std::size_t>(i)] = std::make_unique<FakeTarget>("t" + std::to_string(i));
  }

  std::unique_ptr<Reconciler> make(ports::SecretStore& store, int concurrency) {
    std::vector<DaemonSwarm> swarms;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      Swarm swarm{"s" + std::to_string(i), "s" + std::to_string(i) + "/swarm-key", {}};
      swarm.targets.push_back(std::make_unique<testing::SharedTarget>(*targets[i]));
      swarms.push_back(DaemonSwarm{std::move(swarm), domain::RotationPolicy{std::chrono::hours{720}, std::nullopt}});
    }
    DaemonOptions options;
    options.concurrency = concurrency;
    auto r = std::make_unique<Reconciler>(Context{store, audit, clock, "keyd-daemon"}, std::move(swarms), options,
                                          [] { return 0.0; });
    r->set_leader(true);
    return r;
  }

  FakeClock clock;
  ClockedStore memory{clock};
  LockedAudit audit;
  std::vector<std::unique_ptr<FakeTarget>> targets;
};

TEST(DaemonConcurrency, ChecksAtMostConcurrencySwarmsAtOnceAndReportsThemInOrder) {
  ManySwarms m(20);
  GateStore gate(m.memory, true);
  SerialisedStore store(gate);
  auto daemon = m.make(store, 4);
  std::vector<std::size_t> reported;
  daemon->tick([&](std::size_t index, const SwarmState& state) {
    reported.push_back(index);
    EXPECT_EQ(state.version, 1);
    return true;
  });
  EXPECT_LE(gate.most.load(), 4);
  EXPECT_GE(gate.most.load(), 2) << "four workers and a store that takes concurrent calls";
  std::vector<std::size_t> all(20);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_EQ(reported, all);
  for (const auto& t : m.targets) EXPECT_EQ(t->version, 1);
  const auto& events = m.audit.inner.events;
  EXPECT_EQ(std::ranges::count_if(events, [](const auto& e) { return e.action == "rotate" && e.outcome == "success"; }),
            20);
  for (const auto& state : daemon->snapshot()) EXPECT_EQ(state.consecutive_failures, 0) << state.last_error;
}

// The most store calls one pass over `swarms` new swarms had in flight at once; every swarm issued.
int most_at_once(int swarms, bool store_takes_concurrent_calls, int concurrency) {
  ManySwarms m(swarms);
  GateStore gate(m.memory, store_takes_concurrent_calls);
  SerialisedStore store(gate);  // as the daemon wires it
  auto daemon = m.make(store, concurrency);
  daemon->tick();
  for (const auto& t : m.targets) EXPECT_EQ(t->version, 1);
  return gate.most.load();
}

TEST(DaemonConcurrency, AStoreThatCannotTakeConcurrentCallsGetsThemOneAtATime) {
  EXPECT_EQ(most_at_once(12, false, 8), 1);
}

TEST(DaemonConcurrency, ConcurrencyOneChecksOneSwarmAfterAnother) { EXPECT_EQ(most_at_once(6, true, 1), 1); }

TEST(DaemonConcurrency, AStopEndsThePassAfterTheGroupThatWasRunning) {
  ManySwarms m(10);
  GateStore gate(m.memory, true);
  auto daemon = m.make(gate, 4);
  int calls = 0;
  daemon->tick([&](std::size_t, const SwarmState&) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
  int issued = 0;
  for (const auto& t : m.targets) issued += t->version == 1 ? 1 : 0;
  EXPECT_EQ(issued, 4) << "the first group of four ran; no later group started";
  daemon->tick();
  for (const auto& t : m.targets) EXPECT_EQ(t->version, 1) << "the swarms left out stayed due";
}

// The daemon wraps its store in InstrumentedStore and SerialisedStore: a store without
// check-and-set (mcp) must still be seen as one, or the reconciler trusts a version number the
// store never promised and skips reading the first key back.
TEST(DaemonStoreWrappers, PassTheStoresCapabilitiesOn) {
  FakeClock clock;
  ClockedStore inner(clock);
  inner.capabilities_.check_and_set = false;
  inner.capabilities_.past_versions = false;
  StoreMetrics metrics("mcp");
  InstrumentedStore instrumented(inner, metrics);
  SerialisedStore serialised(instrumented);
  for (const ports::SecretStore* s : {static_cast<const ports::SecretStore*>(&instrumented),
                                      static_cast<const ports::SecretStore*>(&serialised)}) {
    EXPECT_FALSE(s->capabilities().check_and_set);
    EXPECT_FALSE(s->capabilities().past_versions);
    EXPECT_FALSE(s->capabilities().concurrent);
  }
}

TEST(DaemonStoreWrappers, ADaemonOnAStoreWithoutCheckAndSetReadsItsFirstKeyBack) {
  testing::DaemonFixture f;
  f.store.capabilities_.check_and_set = false;
  StoreMetrics metrics("mcp");
  InstrumentedStore instrumented(f.store, metrics);
  SerialisedStore serialised(instrumented);
  app::Swarm swarm{"a", "a/swarm-key", {}};
  swarm.targets.push_back(std::make_unique<testing::SharedTarget>(f.target));
  std::vector<DaemonSwarm> swarms;
  swarms.push_back(DaemonSwarm{std::move(swarm), domain::RotationPolicy{std::chrono::hours{720}, std::nullopt}});
  Reconciler daemon(Context{serialised, f.audit, f.clock, "keyd-daemon"}, std::move(swarms), DaemonOptions{},
                    [] { return 0.0; });
  daemon.set_leader(true);
  daemon.tick();
  EXPECT_EQ(f.store.read_calls, 1);
  EXPECT_EQ(daemon.snapshot().at(0).version, 1);
}

}  // namespace
}  // namespace keyd::app
