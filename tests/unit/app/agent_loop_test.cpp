// The agent use case against in-memory ports and a fake clock: once() (init container) and run()
// (sidecar) — retries, backoff, cheap polling, sink writes only on change, the action exactly once.
#include "keyd/app/agent.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/fakes.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;

// Counts the calls and can fail the next N of them.
class CountingStore final : public ports::SecretStore {
 public:
  [[nodiscard]] std::string describe() const override { return "memory store"; }
  Result<ports::PathMetadata> metadata(std::string_view path) override {
    ++metadata_calls;
    if (auto e = take_failure()) return fail(*e);
    return inner.metadata(path);
  }
  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    ++read_calls;
    if (auto e = take_failure()) return fail(*e);
    return inner.read(path, version);
  }
  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    return inner.write(path, data, cas);
  }

  testing::InMemoryStore inner;
  int metadata_calls = 0;
  int read_calls = 0;
  int fail_next = 0;  // -1: fail every call
  Error failure{ErrorCode::unavailable, "memory store GET ipfs-overlay/swarm-key: 503 Vault is sealed"};

 private:
  std::optional<Error> take_failure() {
    if (fail_next == 0) return std::nullopt;
    if (fail_next > 0) --fail_next;
    return failure;
  }
};

class FakeSink final : public ports::KeySink {
 public:
  [[nodiscard]] std::string describe() const override { return "fake sink"; }
  [[nodiscard]] Result<ports::SinkState> inspect() const override { return ports::SinkState{fingerprint, exact}; }
  Status write(const ports::Delivery& d) override {
    if (failure) return fail(*failure);
    ++writes;
    fingerprint = std::string(d.fingerprint);
    key_text = std::string(d.key_text.reveal_text());
    exact = true;
    return {};
  }
  std::string fingerprint;
  std::string key_text;
  bool exact = false;
  int writes = 0;
  std::optional<Error> failure;
};

class FakeAction final : public ports::ChangeAction {
 public:
  [[nodiscard]] std::string describe() const override { return "fake action"; }
  Result<ports::AfterChange> run(const ports::KeyChange& change) override {
    ++calls;
    if (failures_left > 0) {
      --failures_left;
      return fail(ErrorCode::unavailable, "fake action: exited with status 1");
    }
    changes.push_back({change.version, std::string(change.fingerprint), std::string(change.previous_fingerprint)});
    return after;
  }
  struct Seen {
    int version;
    std::string fingerprint;
    std::string previous;
  };
  int calls = 0;
  int failures_left = 0;
  ports::AfterChange after = ports::AfterChange::keep_running;
  std::vector<Seen> changes;
};

class AgentLoop : public ::testing::Test {
 protected:
  AgentLoop() {
    swarm.name = "ipfs-overlay";
    swarm.path = "ipfs-overlay/swarm-key";
    options.retries = 3;
    options.retry_base = 500ms;
    options.retry_max_wait = 1s;
    options.interval = 30s;
    options.wait_slice = 10s;
  }

  // A new version in the store, as keyd rotate would write it; returns its fingerprint.
  std::string rotate_store() {
    auto key = domain::generate_swarm_key();
    EXPECT_TRUE(key);
    const std::string fp = key->fingerprint().hex();
    const int current = store.inner.metadata(swarm.path) ? store.inner.metadata(swarm.path)->current_version : 0;
    EXPECT_TRUE(store.inner.write(swarm.path, {key->canonical_text(), fp, "test", "rotate"}, current));
    return fp;
  }
  int count(std::string_view what, std::string_view outcome) const {
    return static_cast<int>(
        std::ranges::count_if(audit.events, [&](const auto& e) { return e.action == what && e.outcome == outcome; }));
  }
  AgentHooks hooks(std::function<bool()> stop = {}) {
    return {[this] { return jitter; }, std::move(stop), [this](std::string_view line) { lines.emplace_back(line); }};
  }

  CountingStore store;
  testing::RecordingAudit audit;
  testing::FakeClock clock;
  Context ctx{store, audit, clock, "root@ipfs-0"};
  Swarm swarm;
  FakeSink sink;
  FakeAction action;
  AgentOptions options;
  double jitter = 0.5;
  std::vector<std::string> lines;
};

TEST_F(AgentLoop, OnceWritesTheCurrentKeyAndAuditsFetchAndWrite) {
  rotate_store();
  const std::string fp = rotate_store();
  Agent agent(ctx, swarm, sink, &action, options, hooks());
  auto report = agent.once();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(report->fingerprint, fp);
  EXPECT_EQ(report->last_outcome, SinkOutcome::created);
  EXPECT_EQ(sink.fingerprint, fp);
  EXPECT_EQ(sink.key_text, std::string(store.inner.read(swarm.path, 2)->data.key_text.reveal_text()));
  EXPECT_EQ(store.read_calls, 1);
  EXPECT_EQ(store.metadata_calls, 0);
  EXPECT_EQ(count("fetch", "success"), 1);
  EXPECT_EQ(count("sync", "success"), 1);
  EXPECT_EQ(audit.events.front().actor, "root@ipfs-0");
  EXPECT_EQ(audit.events.back().target, "fake sink");
  EXPECT_EQ(action.calls, 0);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(AgentLoop, OnceLeavesASinkAloneThatHoldsTheFingerprint) {
  sink.fingerprint = rotate_store();
  sink.exact = true;
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->last_outcome, SinkOutcome::unchanged);
  EXPECT_EQ(sink.writes, 0);
  EXPECT_EQ(count("fetch", "success"), 1);  // the read is audited even when nothing is written
  EXPECT_EQ(count("sync", "success"), 0);
}

TEST_F(AgentLoop, OnceRewritesTheSameKeyWhenModeOrOwnerDrifted) {
  sink.fingerprint = rotate_store();
  sink.exact = false;
  auto report = Agent(ctx, swarm, sink, &action, options, hooks()).once();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->last_outcome, SinkOutcome::repaired);
  EXPECT_EQ(sink.writes, 1);
  EXPECT_EQ(action.calls, 0);
}

TEST_F(AgentLoop, OnceRetriesAnUnavailableStoreWithCappedBackoffThenFailsWritingNothing) {
  rotate_store();
  store.fail_next = -1;
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::unavailable);
  EXPECT_NE(report.error().message.find("503 Vault is sealed"), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("gave up after 4 attempts"), std::string::npos) << report.error().message;
  EXPECT_EQ(store.read_calls, 4);
  EXPECT_EQ(sink.writes, 0);
  EXPECT_EQ(count("fetch", "failure"), 4);
  // 3 waits: exponential from 500 ms with equal jitter, never above --retry-max-wait.
  ASSERT_EQ(clock.sleeps().size(), 3U);
  EXPECT_EQ(clock.sleeps()[0], 375ms);  // 500 ms: half fixed + half × 0.5
  EXPECT_EQ(clock.sleeps()[1], 750ms);
  EXPECT_EQ(clock.sleeps()[2], 750ms);  // capped at 1 s
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0].rfind("waiting for memory store: attempt 2/4 in 0.4s: memory store GET", 0), 0U) << lines[0];
  EXPECT_NE(lines[2].find("attempt 4/4"), std::string::npos) << lines[2];
}

// The time limit (`keyd agent --once --timeout`) ends the retries even with many left: no wait
// runs past it, no attempt starts after it, and the error says which limit passed.
TEST_F(AgentLoop, OnceStopsRetryingWhenItsTimeLimitPasses) {
  rotate_store();
  store.fail_next = -1;
  options.retries = 100;
  options.retry_max_wait = 30s;
  options.time_limit = 10s;
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::timeout);
  EXPECT_NE(report.error().message.find("503 Vault is sealed"), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("the time limit of 10s passed"), std::string::npos) << report.error().message;
  std::chrono::milliseconds slept{0};
  for (const auto d : clock.sleeps()) slept += d;
  EXPECT_EQ(slept, 10s) << "the waits fill the limit exactly, the last one cut short";
  EXPECT_EQ(store.read_calls, static_cast<int>(clock.sleeps().size()) + 1) << "one attempt at the limit, then none";
  EXPECT_LT(store.read_calls, 101);
  EXPECT_EQ(sink.writes, 0);
}

TEST_F(AgentLoop, OnceSucceedsWhenTheStoreComesBackWithinTheRetries) {
  const std::string fp = rotate_store();
  store.fail_next = 2;
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(sink.fingerprint, fp);
  EXPECT_EQ(clock.sleeps().size(), 2U);
  EXPECT_EQ(count("fetch", "failure"), 2);
  EXPECT_EQ(count("fetch", "success"), 1);
}

TEST_F(AgentLoop, OnceWaitsForAKeyNotIssuedYet) {
  // not_found: the daemon may not have issued the first key yet.
  int sleeps_seen = 0;
  options.retries = 2;
  Agent agent(ctx, swarm, sink, nullptr, options, [&] {
    AgentHooks h = hooks();
    h.progress = [&](std::string_view) {
      if (++sleeps_seen == 1) rotate_store();  // issued while the agent waits
    };
    return h;
  }());
  auto report = agent.once();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 1);
  EXPECT_EQ(sleeps_seen, 1);
}

TEST_F(AgentLoop, OnceDoesNotRetryARefusal) {
  rotate_store();
  store.fail_next = -1;
  store.failure =
      Error{ErrorCode::unauthorized, "kubernetes login: vault POST auth/kubernetes/login: 403 permission denied"};
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::unauthorized);
  EXPECT_EQ(report.error().message.find("gave up"), std::string::npos);
  EXPECT_EQ(store.read_calls, 1);
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_EQ(sink.writes, 0);
}

TEST_F(AgentLoop, OnceRefusesAStoredValueThatIsNotASwarmKey) {
  ASSERT_TRUE(store.inner.write(swarm.path, {Secret::from_text("not a key\n"), "00", "test", "import"}, 0));
  auto report = Agent(ctx, swarm, sink, nullptr, options, hooks()).once();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::integrity);
  EXPECT_NE(report.error().message.find("is not a valid swarm key"), std::string::npos) << report.error().message;
  EXPECT_EQ(sink.writes, 0);
}

TEST_F(AgentLoop, RunPollsMetadataCheaplyAndRunsTheActionExactlyOncePerNewKey) {
  const std::string v1 = rotate_store();
  const auto start = clock.now();
  std::string v2;
  Agent agent(ctx, swarm, sink, &action, options, hooks([&] {
                if (v2.empty() && clock.now() >= start + 95s) v2 = rotate_store();
                return clock.now() >= start + 300s;
              }));
  const AgentReport report = agent.run();
  EXPECT_EQ(sink.fingerprint, v2);
  EXPECT_EQ(sink.writes, 2);  // created with v1, replaced by v2; no write on the other polls
  ASSERT_EQ(action.calls, 1);
  EXPECT_EQ(action.changes[0].version, 2);
  EXPECT_EQ(action.changes[0].fingerprint, v2);
  EXPECT_EQ(action.changes[0].previous, v1);
  EXPECT_EQ(report.actions, 1);
  EXPECT_EQ(report.fetches, 2);  // the key is read only when the version changed
  EXPECT_EQ(store.read_calls, 2);
  EXPECT_EQ(store.metadata_calls, 9);  // polls at 30 s … 270 s
  EXPECT_EQ(report.polls, 9);
  EXPECT_EQ(count("on-change", "success"), 1);
  EXPECT_FALSE(report.exit_requested);
}

TEST_F(AgentLoop, RunWaitsTheIntervalStretchedByJitter) {
  rotate_store();
  const auto start = clock.now();
  options.wait_slice = 1h;
  jitter = 1.0;
  (void)Agent(ctx, swarm, sink, nullptr, options, hooks([&] { return clock.now() >= start + 60s; })).run();
  ASSERT_FALSE(clock.sleeps().empty());
  EXPECT_EQ(clock.sleeps()[0], 33s);  // 30 s × 1.1
  jitter = 0.0;
  clock.advance(-(clock.now() - start));
  (void)Agent(ctx, swarm, sink, nullptr, options, hooks([&] { return clock.now() >= start + 60s; })).run();
  EXPECT_EQ(clock.sleeps().back(), 27s);  // 30 s × 0.9
}

TEST_F(AgentLoop, RunCreatingTheFileRunsNoAction) {
  rotate_store();
  const auto start = clock.now();
  (void)Agent(ctx, swarm, sink, &action, options, hooks([&] { return clock.now() >= start + 100s; })).run();
  EXPECT_EQ(sink.writes, 1);
  EXPECT_EQ(action.calls, 0);
}

TEST_F(AgentLoop, RunReplacingAStaleKeyAtStartRunsTheAction) {
  const std::string old_fp = rotate_store();
  rotate_store();
  sink.fingerprint = old_fp;  // e.g. the agent restarted after a rotation it missed
  sink.exact = true;
  const auto start = clock.now();
  (void)Agent(ctx, swarm, sink, &action, options, hooks([&] { return clock.now() >= start + 10s; })).run();
  ASSERT_EQ(action.calls, 1);
  EXPECT_EQ(action.changes[0].previous, old_fp);
}

TEST_F(AgentLoop, RunRetriesAFailedActionUntilItSucceedsThenNeverAgain) {
  const std::string v1 = rotate_store();
  sink.fingerprint = v1;
  sink.exact = true;
  rotate_store();
  action.failures_left = 2;
  const auto start = clock.now();
  const AgentReport report =
      Agent(ctx, swarm, sink, &action, options, hooks([&] { return clock.now() >= start + 300s; })).run();
  EXPECT_EQ(action.calls, 3);
  EXPECT_EQ(report.actions, 1);
  EXPECT_EQ(sink.writes, 1);
  EXPECT_EQ(count("on-change", "failure"), 2);
  EXPECT_EQ(count("on-change", "success"), 1);
}

TEST_F(AgentLoop, RunEndsWhenTheActionAsksToExit) {
  const std::string v1 = rotate_store();
  const auto start = clock.now();
  action.after = ports::AfterChange::exit;
  bool rotated = false;
  const AgentReport report = Agent(ctx, swarm, sink, &action, options, hooks([&] {
                                     if (!rotated && clock.now() >= start + 40s) {
                                       rotate_store();
                                       rotated = true;
                                     }
                                     return clock.now() >= start + 1h;
                                   }))
                                 .run();
  EXPECT_TRUE(report.exit_requested);
  EXPECT_EQ(action.calls, 1);
  EXPECT_LT(clock.now(), start + 2min);  // it did not wait for the stop
}

TEST_F(AgentLoop, RunKeepsGoingThroughStoreFailuresWithBackoff) {
  rotate_store();
  const auto start = clock.now();
  options.wait_slice = 1h;
  store.fail_next = 3;
  const AgentReport report =
      Agent(ctx, swarm, sink, nullptr, options, hooks([&] { return clock.now() >= start + 100s; })).run();
  EXPECT_EQ(sink.writes, 1);
  ASSERT_GE(clock.sleeps().size(), 4U);
  EXPECT_EQ(clock.sleeps()[0], 375ms);
  EXPECT_EQ(clock.sleeps()[1], 750ms);
  EXPECT_EQ(clock.sleeps()[2], 750ms);
  EXPECT_EQ(clock.sleeps()[3], 30s);  // back to the interval after the first success
  EXPECT_GE(lines.size(), 3U);
  EXPECT_NE(lines[0].find("503 Vault is sealed (failure 1 in a row; next try in 0.4s)"), std::string::npos) << lines[0];
  EXPECT_EQ(report.fetches, 4);
}

TEST_F(AgentLoop, RunStopsPromptlyWhenAsked) {
  rotate_store();
  const auto start = clock.now();
  options.wait_slice = 500ms;
  (void)Agent(ctx, swarm, sink, nullptr, options, hooks([&] { return clock.now() >= start + 2s; })).run();
  EXPECT_LE(clock.now(), start + 2s);
}

}  // namespace
}  // namespace keyd::app
