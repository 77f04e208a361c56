// Two (and, after restarts, more) complete daemon stacks — a DaemonService around a Reconciler and a
// Lease elector each, wired as `keyd daemon` wires them — sharing one file store directory and one
// kube-apiserver double, stepped alternately with one fake clock: each elector every retry period
// from its own phase, each reconciler at the wake time it asks for (capped at 1 s, as the runner
// does). The leader is killed (no more steps, no release) at pseudo-random points and replaced by a
// new identity. Checked: one version per due time over many cycles, never two leaders at one
// instant, every takeover within lease_duration + retry_period of the kill, and a stale leader never
// adds a version for a due time another leader already served.
#include "keyd/adapters/audit/audit_stream.hpp"
#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/app/audit_accounting.hpp"
#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/adapters/election/leader_election.hpp"
#include "keyd/app/daemon_service.hpp"
#include "support/fakes.hpp"
#include "support/kube_double.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <random>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;
using domain::TimePoint;
using nlohmann::json;

constexpr const char* k_swarm = "ipfs-overlay";
constexpr const char* k_path = "ipfs-overlay/swarm-key";
constexpr const char* k_audit_head = "keyd/audit-head";

// client-go's defaults, and a max_age short enough for many cycles in one fast test.
constexpr std::chrono::milliseconds k_lease_duration = 15s;
constexpr std::chrono::milliseconds k_renew_deadline = 10s;
constexpr std::chrono::milliseconds k_retry_period = 2s;
constexpr std::chrono::seconds k_max_age = 1min;
constexpr std::chrono::milliseconds k_clock_step = 500ms;  // smaller than the retry period

// The store one daemon sees. With `after_metadata` set, that hook runs once right after the next
// metadata answer was read and before it is returned: the answer is in flight (a slow network, a
// descheduled thread) while another daemon acts, so the caller decides on a stale version.
class InterleavingStore final : public ports::SecretStore {
 public:
  explicit InterleavingStore(ports::SecretStore& inner) : m_inner(inner) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override {
    auto meta = m_inner.metadata(path);
    if (auto hook = std::exchange(after_metadata, nullptr)) hook();
    return meta;
  }
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    return m_inner.read(path, version);
  }
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    return m_inner.write(path, data, cas);
  }
  std::function<void()> after_metadata;

 private:
  ports::SecretStore& m_inner;
};

class StaticCredentials final : public adapters::KubeCredentialSource {
 public:
  explicit StaticCredentials(std::string token) : m_token(std::move(token)) {}
  Result<adapters::KubeCredentials> get(bool /*refresh*/) override {
    adapters::KubeCredentials creds;
    creds.bearer_token = Secret::from_text(m_token);
    return creds;
  }

 private:
  std::string m_token;
};

// One `keyd daemon` process: its own store instance on the shared directory, its own connection
// to the kube double and Lease elector, a DaemonService, and when it next steps and ticks.
struct Stack {
  std::string identity;
  std::unique_ptr<ports::SecretStore> file_store;
  std::unique_ptr<InterleavingStore> store;
  std::string printed;  // audit.sink stdout: what this process printed
  std::unique_ptr<ports::AuditLog> stream_audit;
  std::unique_ptr<ports::LeaderElector> elector;
  std::unique_ptr<DaemonService> service;
  ports::LeadershipStatus status;
  TimePoint next_step{};
  TimePoint next_tick{};
  bool alive = true;
};

class DaemonFailover : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  void SetUp() override { kube().reset(); }
  static testing::KubeDouble& kube() { return *s_kube; }

  // A new daemon with `identity`; its first election step runs at once (as cmd_daemon does),
  // then every retry period.
  static adapters::LeaseOptions default_lease() {
    adapters::LeaseOptions lease;
    lease.lease_duration = k_lease_duration;
    lease.renew_deadline = k_renew_deadline;
    lease.retry_period = k_retry_period;
    return lease;
  }

  Stack& start(const std::string& identity, adapters::LeaseOptions lease = default_lease()) {
    auto stack = std::make_unique<Stack>();
    stack->identity = identity;
    auto store = adapters::make_file_store({dir / "store", {}, 100}, clock);
    EXPECT_TRUE(store) << store.error().message;
    stack->file_store = std::move(*store);
    stack->store = std::make_unique<InterleavingStore>(*stack->file_store);
    // Each daemon is its own user to the API server, so a test can cut one off with a fault rule.
    adapters::KubeConnection connection;
    connection.server = kube().address();
    connection.default_namespace = "default";
    connection.tls.ca_file = kube().ca_file();
    connection.credentials = std::make_shared<StaticCredentials>(
        kube().control("POST", "tokens", {{"user", identity}, {"allow_all", true}})["token"].get<std::string>());
    connection.description = "kube double as " + identity;
    auto api = adapters::make_kube_api(std::move(connection), clock, fixed_random);
    EXPECT_TRUE(api) << api.error().message;
    lease.identity = identity;
    m_retry_period = lease.retry_period;
    stack->elector = adapters::make_lease_elector(lease, *api, clock);

    ports::AuditLog* audit_log = &audit;
    if (stream_audit) {  // each daemon prints its own lines; the head is in the shared store
      adapters::AuditStreamOptions options;
      options.head_path = k_audit_head;
      options.write = [&printed = stack->printed](std::string_view line) -> Status {
        printed += line;
        return {};
      };
      options.sleep = [](std::chrono::milliseconds) {};
      stack->stream_audit = adapters::make_audit_stream(*stack->file_store, std::move(options), fixed_random);
      audit_log = stack->stream_audit.get();
    }
    Swarm swarm{k_swarm, k_path, {}};
    swarm.targets.push_back(std::make_unique<SharedTarget>(target));
    std::vector<DaemonSwarm> swarms;
    swarms.push_back(DaemonSwarm{std::move(swarm), domain::RotationPolicy{k_max_age, std::nullopt}});
    DaemonOptions options;
    options.sync_interval = 10s;
    auto reconciler = std::make_unique<Reconciler>(
        Context{*stack->store, *audit_log, clock, "keyd-daemon@" + identity}, std::move(swarms), options,
        [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(random); });
    stack->service = std::make_unique<DaemonService>(std::move(reconciler), clock);
    stacks.push_back(std::move(stack));
    Stack& s = *stacks.back();
    elect(s);
    s.next_tick = clock.now();
    return s;
  }

  void elect(Stack& s) {
    s.status = s.elector->step();
    s.service->set_leadership(s.status);
    s.next_step = clock.now() + m_retry_period;
    ASSERT_LE(leaders().size(), 1U) << "two leaders at " << ports::format_rfc3339(clock.now()) << ": "
                                    << leaders().front()->identity << " and " << leaders().back()->identity;
  }

  void tick(Stack& s) {
    const auto wake = s.service->tick();
    s.next_tick = std::min(wake, clock.now() + 1s);
  }

  // Every live stack does what is due at this instant; who goes first alternates.
  void step_all(bool reverse) {
    std::vector<Stack*> order;
    for (auto& s : stacks) {
      if (s->alive) order.push_back(s.get());
    }
    if (reverse) std::ranges::reverse(order);
    for (Stack* s : order) {
      if (clock.now() >= s->next_step) elect(*s);
      if (clock.now() >= s->next_tick) tick(*s);
    }
  }

  [[nodiscard]] std::vector<Stack*> leaders() const {
    std::vector<Stack*> out;
    for (const auto& s : stacks) {
      if (s->alive && s->status.leading) out.push_back(s.get());
    }
    return out;
  }

  // The store's history: (version, created_time) ascending.
  [[nodiscard]] std::vector<std::pair<int, TimePoint>> history() {
    auto store = adapters::make_file_store({dir / "store", {}, 100}, clock);
    EXPECT_TRUE(store);
    auto meta = (*store)->metadata(k_path);
    EXPECT_TRUE(meta) << meta.error().message;
    std::vector<std::pair<int, TimePoint>> out;
    if (!meta) return out;
    for (const auto& v : meta->versions) out.emplace_back(v.version, *domain::parse_rfc3339(v.created_time));
    return out;
  }

  [[nodiscard]] std::size_t audited(std::string_view action, std::string_view outcome) const {
    return static_cast<std::size_t>(std::ranges::count_if(
        audit.events, [&](const ports::AuditEvent& e) { return e.action == action && e.outcome == outcome; }));
  }

  // Forwards to the target every stack shares (as every daemon writes the same Secret).
  class SharedTarget final : public ports::Target {
   public:
    explicit SharedTarget(testing::FakeTarget& target) : m_target(target) {}
    [[nodiscard]] std::string describe() const override { return m_target.describe(); }
    [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override {
      return m_target.apply(delivery);
    }

   private:
    testing::FakeTarget& m_target;
  };

  testing::TempDir dir;
  testing::FakeClock clock;
  testing::FixedRandom fixed_random;
  testing::RecordingAudit audit;
  bool stream_audit = false;  // audit.sink stdout instead of the shared recording
  testing::FakeTarget target{"secret"};
  std::mt19937 random{20261128};
  std::vector<std::unique_ptr<Stack>> stacks;
  std::chrono::milliseconds m_retry_period = k_retry_period;
  inline static std::unique_ptr<testing::KubeDouble> s_kube;
};

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

// audit.sink stdout (the bundle's two replicas): every daemon, the killed ones too, printed its own
// lines; collected together they are one chain from seq 1 to the head in the shared store, with no
// gap and no fork, and they account for every version the daemons wrote.
TEST_F(DaemonFailover, DaemonsAuditingToStdoutLeaveOneChainAcrossKillsAndTakeovers) {
  stream_audit = true;
  constexpr int k_cycles = 8;
  const TimePoint begin = clock.now();
  const TimePoint end = begin + k_cycles * k_max_age + 30s;
  int generation = 0;
  start("keyd-" + std::to_string(generation++));
  clock.advance(900ms);
  start("keyd-" + std::to_string(generation++));
  int kills = 0;
  std::optional<TimePoint> restart_at;
  bool reverse = false;
  while (clock.now() < end) {
    step_all(reverse = !reverse);
    if (HasFatalFailure()) return;
    const bool kill_due = clock.now() >= begin + (2 + 2 * kills) * k_max_age + 10s;  // cycles 2, 4, 6
    if (kills < 3 && kill_due && leaders().size() == 1 && !restart_at) {
      leaders().front()->alive = false;
      ++kills;
      restart_at = clock.now() + 20s;
    }
    if (restart_at && clock.now() >= *restart_at) {
      start("keyd-" + std::to_string(generation++));
      restart_at.reset();
    }
    clock.advance(k_clock_step);
  }
  ASSERT_EQ(kills, 3);
  std::string collected;
  std::size_t printers = 0;
  for (const auto& s : stacks) {
    collected += s->printed;
    if (!s->printed.empty()) ++printers;
  }
  EXPECT_GE(printers, 3U) << "the entries did not come from several daemons";
  const auto file = dir / "collected.log";
  testing::write_file(file, collected);
  auto store = adapters::make_file_store({dir / "store", {}, 100}, clock);
  ASSERT_TRUE(store);
  auto lines = adapters::read_collected_audit(file);
  ASSERT_TRUE(lines) << lines.error().message;
  auto chain = adapters::verify_collected_audit(*lines, **store, k_audit_head);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_TRUE(chain->ok) << chain->problem;
  auto accounting =
      check_audit_accounting(**store, adapters::collected_audit_records(*lines), {SwarmPath{k_swarm, k_path}});
  ASSERT_TRUE(accounting) << accounting.error().message;
  EXPECT_TRUE(accounting->ok()) << accounting->problems.front();
  const auto versions = history();
  EXPECT_GE(versions.size(), static_cast<std::size_t>(k_cycles));
  EXPECT_EQ(accounting->versions, versions.size());
  EXPECT_EQ(accounting->anchored, versions.size()) << "a version is not anchored to its intent entry";
}

}  // namespace
}  // namespace keyd::app
