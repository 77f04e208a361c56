// Shared pieces of the daemon reconciler tests: a store that stamps versions with the fake
// clock's time, a target that outlives a reconciler (as a file outlives a process), a fixture.
#pragma once

#include "keyd/app/daemon.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/fakes.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <utility>

namespace keyd::testing {

// InMemoryStore whose versions carry the fake clock's time as created_time, and counts calls.
class ClockedStore final : public ports::SecretStore {
 public:
  explicit ClockedStore(const FakeClock& clock) : m_clock(clock) {}
  [[nodiscard]] std::string describe() const override { return "memory store"; }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return capabilities_; }

  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override {
    ++metadata_calls;
    if (failure) return fail(*failure);
    auto meta = inner.metadata(path);
    if (meta) {
      for (auto& v : meta->versions) v.created_time = created(path, v.version);
    }
    return meta;
  }

  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    ++read_calls;
    if (failure) return fail(*failure);
    auto stored = inner.read(path, version);
    if (stored) stored->info.created_time = created(path, stored->info.version);
    return stored;
  }

  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    ++write_calls;
    if (failure) return fail(*failure);
    auto version = inner.write(path, data, cas);
    if (version) m_created[{std::string(path), *version}] = ports::format_rfc3339(m_clock.now());
    if (version && after_write) after_write();
    return version;
  }

  InMemoryStore inner;
  std::optional<Error> failure;
  ports::StoreCapabilities capabilities_;
  std::function<void()> after_write;  // runs after each successful write (a racing writer)
  int metadata_calls = 0;
  int read_calls = 0;
  int write_calls = 0;

 private:
  [[nodiscard]] std::string created(std::string_view path, int version) const {
    const auto it = m_created.find({std::string(path), version});
    return it == m_created.end() ? std::string("2026-01-01T00:00:00Z") : it->second;
  }
  const FakeClock& m_clock;
  std::map<std::pair<std::string, int>, std::string> m_created;
};

// Forwards to a FakeTarget the test owns, so its content survives a new Reconciler.
class SharedTarget final : public ports::Target {
 public:
  explicit SharedTarget(FakeTarget& target) : m_target(target) {}
  [[nodiscard]] std::string describe() const override { return m_target.describe(); }
  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override {
    ++applies;
    return m_target.apply(delivery);
  }
  int applies = 0;

 private:
  FakeTarget& m_target;
};

struct DaemonFixture {
  explicit DaemonFixture(std::chrono::system_clock::time_point start =
                             std::chrono::system_clock::time_point{std::chrono::seconds{1'790'000'000}})
      : clock(start) {}

  // A reconciler for swarm "a" (store path a/swarm-key) with one target.
  std::unique_ptr<app::Reconciler> make(domain::RotationPolicy policy, bool leader = true,
                                        std::chrono::milliseconds interval = std::chrono::seconds{30}) {
    app::Swarm swarm{"a", "a/swarm-key", {}};
    swarm.targets.push_back(std::make_unique<SharedTarget>(target));
    std::vector<app::DaemonSwarm> swarms;
    swarms.push_back(app::DaemonSwarm{std::move(swarm), std::move(policy)});
    app::DaemonOptions options;
    options.sync_interval = interval;
    auto r = std::make_unique<app::Reconciler>(app::Context{store, audit, clock, "keyd-daemon"}, std::move(swarms),
                                               options, [this] { return jitter; });
    r->set_leader(leader);
    return r;
  }

  // Store a version directly (another tool, `vault kv rollback`): returns its fingerprint.
  std::string write_out_of_band(int cas) {
    auto key = domain::generate_swarm_key();
    EXPECT_TRUE(key.has_value());
    ports::VersionData data{key->canonical_text(), key->fingerprint().hex(), "someone", "manual"};
    EXPECT_TRUE(store.write("a/swarm-key", data, cas).has_value());
    return data.fingerprint;
  }

  [[nodiscard]] int current_version() {
    auto meta = store.inner.metadata("a/swarm-key");
    return meta ? meta->current_version : 0;
  }

  [[nodiscard]] std::string stored_reason() {
    auto stored = store.inner.read("a/swarm-key", std::nullopt);
    return stored ? stored->data.reason : std::string();
  }

  FakeClock clock;
  ClockedStore store{clock};
  RecordingAudit audit;
  FakeTarget target{"t"};
  double jitter = 0.0;
};

}  // namespace keyd::testing
