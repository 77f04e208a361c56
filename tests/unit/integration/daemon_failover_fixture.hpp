// The fixture of the daemon failover tests (daemon_failover_test.cpp: leadership and versions;
// daemon_failover_audit_test.cpp: the audit trail across failovers): complete daemon stacks — a
// DaemonService around a Reconciler and a Lease elector each, wired as `keyd daemon` wires them —
// sharing one file store directory and one kube-apiserver double, stepped with one fake clock.
#pragma once

#include "keyd/adapters/audit/audit_stream.hpp"
#include "keyd/adapters/file_store/file_store.hpp"
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

namespace keyd::app::failover {

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

}  // namespace keyd::app::failover
