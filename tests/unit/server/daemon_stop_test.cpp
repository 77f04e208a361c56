// Stopping and readiness with many swarms (issue 15 item 7): a stop request ends a pass after the
// swarm in progress, /readyz answers (and says how far the first pass got) while a pass holds the
// work, and a rotate/sync request waits for one swarm, not for the whole pass.
#include "keyd/app/daemon_service.hpp"
#include "keyd/server/daemon_api.hpp"

#include "unit/app/daemon_test_support.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ports::ApiRequest;
using ports::Authentication;
using Kind = ports::Authentication::Kind;

// An in-memory store that records the path of every metadata() call (one per swarm check) and can
// hold one path's call until the test releases it, as a slow store would.
class GatedStore final : public ports::SecretStore {
 public:
  [[nodiscard]] std::string describe() const override { return "gated memory store"; }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override {
    {
      std::unique_lock lock(m_mutex);
      m_checked.emplace_back(path);
      if (path == m_hold) {
        m_held = true;
        m_changed.notify_all();
        m_changed.wait(lock, [&] { return !m_held; });
      }
    }
    if (on_metadata) on_metadata(path);
    return m_inner.metadata(path);
  }
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    return m_inner.read(path, version);
  }
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    return m_inner.write(path, data, cas);
  }

  // The next metadata(path) waits until release().
  void hold(std::string path) {
    const std::lock_guard lock(m_mutex);
    m_hold = std::move(path);
  }
  // Waits until a held call has arrived; false after 10 s.
  bool wait_held() {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, 10s, [&] { return m_held; });
  }
  void release() {
    const std::lock_guard lock(m_mutex);
    m_held = false;
    m_hold.clear();
    m_changed.notify_all();
  }
  [[nodiscard]] std::vector<std::string> checked() const {
    const std::lock_guard lock(m_mutex);
    return m_checked;
  }

  std::function<void(std::string_view path)> on_metadata;

 private:
  testing::InMemoryStore m_inner;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::string m_hold;
  bool m_held = false;
  std::vector<std::string> m_checked;
};

// While alive, the default logger signals the first line that contains `text` (the API logs
// "asks to sync" just before it waits for the work lock), then restores the previous logger.
class LogLineWaiter {
 public:
  explicit LogLineWaiter(std::string text)
      : m_sink(std::make_shared<Sink>(std::move(text))), m_previous(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("waiter", m_sink));
  }
  ~LogLineWaiter() { spdlog::set_default_logger(m_previous); }
  LogLineWaiter(const LogLineWaiter&) = delete;
  LogLineWaiter& operator=(const LogLineWaiter&) = delete;
  bool wait(std::chrono::milliseconds timeout) { return m_sink->wait(timeout); }

 private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    explicit Sink(std::string text) : m_text(std::move(text)) {}
    bool wait(std::chrono::milliseconds timeout) {
      std::unique_lock lock(m_seen_mutex);
      return m_seen_cv.wait_for(lock, timeout, [&] { return m_seen; });
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      if (std::string_view(msg.payload.data(), msg.payload.size()).find(m_text) == std::string_view::npos) return;
      const std::lock_guard lock(m_seen_mutex);
      m_seen = true;
      m_seen_cv.notify_all();
    }
    void flush_() override {}

   private:
    std::string m_text;
    std::mutex m_seen_mutex;
    std::condition_variable m_seen_cv;
    bool m_seen = false;
  };
  std::shared_ptr<Sink> m_sink;
  std::shared_ptr<spdlog::logger> m_previous;
};

constexpr int k_swarms = 5;

std::string swarm_name(int i) { return "s" + std::to_string(i); }
std::string swarm_path(int i) { return swarm_name(i) + "/swarm-key"; }

class DaemonStopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<DaemonSwarm> swarms;
    KeyAccess keys{store, audit, {}};
    for (int i = 1; i <= k_swarms; ++i) {
      Swarm swarm{swarm_name(i), swarm_path(i), {}};
      swarm.targets.push_back(std::make_unique<testing::FakeTarget>("t" + std::to_string(i)));
      swarms.push_back(DaemonSwarm{std::move(swarm), domain::RotationPolicy{}});
      keys.swarms.push_back(KeyReaders{swarm_name(i), swarm_path(i), {}, {"token:ci"}});
    }
    // One swarm at a time, so "the swarm in progress" is one swarm; with `concurrency` above 1 the
    // same holds for the group in progress (DaemonConcurrency.AStopEndsThePassAfterTheGroupThatWasRunning).
    DaemonOptions options;
    options.concurrency = 1;
    auto reconciler = std::make_unique<Reconciler>(Context{store, audit, clock, "keyd-daemon"}, std::move(swarms),
                                                   options, [] { return 0.0; });
    service = std::make_unique<DaemonService>(std::move(reconciler), clock, std::move(keys));
    api = std::make_unique<server::DaemonApi>(*service, nullptr, "1.2.3");
    service->set_leadership({true, true, "me", {}});
  }

  ports::ApiResponse call(std::string method, std::string path, Authentication auth = {}) {
    return api->handle(ApiRequest{std::move(method), std::move(path), std::move(auth), {}});
  }

  testing::FakeClock clock;
  GatedStore store;
  testing::RecordingAudit audit;
  std::unique_ptr<DaemonService> service;
  std::unique_ptr<server::DaemonApi> api;
};

TEST_F(DaemonStopTest, AStopRequestEndsThePassAfterTheSwarmInProgress) {
  store.on_metadata = [&](std::string_view path) {
    if (path == swarm_path(2)) service->request_stop();  // SIGTERM while s2 is being checked
  };
  (void)service->tick();
  const auto checked = store.checked();
  EXPECT_EQ(std::set<std::string>(checked.begin(), checked.end()),
            (std::set<std::string>{swarm_path(1), swarm_path(2)}))
      << "the pass must end after s2, the swarm in progress, without starting s3";
  const auto swarms = service->swarms();
  ASSERT_EQ(swarms.size(), static_cast<std::size_t>(k_swarms));
  EXPECT_EQ(swarms[1].version, 1) << "the swarm in progress is finished (its first key issued)";
  EXPECT_FALSE(swarms[2].last_check.has_value());
  // Once stopped, a later pass starts nothing.
  (void)service->tick();
  EXPECT_EQ(store.checked().size(), checked.size());
}

TEST_F(DaemonStopTest, ReadyzAnswersWhileAPassHoldsTheWork) {
  store.hold(swarm_path(3));
  std::thread loop([&] { (void)service->tick(); });
  ASSERT_TRUE(store.wait_held());
  // The pass is inside s3 (a slow store): the probe neither waits for it nor reports "not checked".
  auto probe = std::async(std::launch::async, [&] { return call("GET", "/readyz"); });
  const bool answered = probe.wait_for(2s) == std::future_status::ready;
  EXPECT_TRUE(answered) << "/readyz waited for the pass";
  if (answered) {
    const auto ready = probe.get();
    EXPECT_EQ(ready.status, 200) << ready.body;
    json body = json::parse(ready.body);  // not const: a missing field reads as null
    EXPECT_EQ(body["store"], "reachable");
    EXPECT_EQ(body["first_pass"]["checked"], 2);
    EXPECT_EQ(body["first_pass"]["swarms"], k_swarms);
    EXPECT_EQ(body["first_pass"]["complete"], false);
    EXPECT_EQ(body["swarms"][0]["checked"], true);
    EXPECT_EQ(body["swarms"][1]["checked"], true);
    EXPECT_EQ(body["swarms"][2]["checked"], false);
  }
  store.release();
  loop.join();
  json after = json::parse(call("GET", "/readyz").body);
  EXPECT_EQ(after["first_pass"]["checked"], k_swarms);
  EXPECT_EQ(after["first_pass"]["complete"], true);
}

TEST_F(DaemonStopTest, ReadyOnceTheStoreAnsweredForTheFirstSwarm) {
  EXPECT_EQ(call("GET", "/readyz").status, 503) << "nothing checked yet";
  store.on_metadata = [&](std::string_view path) {
    if (path == swarm_path(1)) service->request_stop();
  };
  (void)service->tick();  // s1 only
  auto ready = call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << "leadership known and the store answered for the swarm checked so far";
  EXPECT_EQ(json::parse(ready.body)["first_pass"]["checked"], 1);
}

TEST_F(DaemonStopTest, ASyncRequestWaitsForOneSwarmNotForThePass) {
  (void)service->tick();  // every swarm has its first key
  clock.advance(1h);      // every swarm is due again
  const std::size_t before = store.checked().size();
  store.hold(swarm_path(2));
  std::thread loop([&] { (void)service->tick(); });
  const bool held = store.wait_held();
  EXPECT_TRUE(held) << "the pass never reached s2";
  LogLineWaiter asked("asks to sync swarm s5");
  auto sync = std::async(std::launch::async, [&] {
    return call("POST", "/v1/swarms/s5/sync", Authentication{Kind::ok, ports::Caller{"token:ci", true}, {}});
  });
  EXPECT_TRUE(asked.wait(10s));
  std::this_thread::sleep_for(100ms);  // from that log line to the lock it waits on is one statement
  store.release();
  EXPECT_EQ(sync.get().status, 200);
  loop.join();
  if (!held) return;
  const auto checked = store.checked();
  ASSERT_GE(checked.size(), before);
  const std::vector<std::string> pass(checked.begin() + static_cast<std::ptrdiff_t>(before), checked.end());
  // s5, just synced, is no longer due when the pass reaches it.
  EXPECT_EQ(pass, (std::vector<std::string>{swarm_path(1), swarm_path(2), swarm_path(5), swarm_path(3), swarm_path(4)}))
      << "the sync of s5 runs right after the swarm in progress (s2), before s3";
}

}  // namespace
}  // namespace keyd::app
