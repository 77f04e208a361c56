// Issue 14 item 1 at the use-case level, on the real file store: history lists a tampered version
// as unreadable instead of failing; the daemon never issues a "first" key over records whose
// metadata is gone, and says so (log, /readyz, metrics); repair_store rebuilds and is audited.
#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/adapters/file_store/file_store_repair.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/app/repair.hpp"
#include "keyd/app/use_cases.hpp"
#include "keyd/domain/swarm_key.hpp"

#include "daemon_test_support.hpp"
#include "support/fakes.hpp"
#include "support/log_capture.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::read_file;
using testing::write_file;

constexpr std::string_view k_path = "ipfs-overlay/swarm-key";

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

class StoreRecoveryTest : public ::testing::Test {
 protected:
  std::unique_ptr<ports::SecretStore> open_store() {
    auto store = adapters::make_file_store({.dir = store_dir(), .master_key_file = {}, .max_versions = 10}, clock);
    EXPECT_TRUE(store);
    return store ? std::move(*store) : nullptr;
  }

  [[nodiscard]] std::filesystem::path store_dir() const { return tmp.path() / "store"; }
  [[nodiscard]] std::filesystem::path path_dir() const { return store_dir() / std::string(k_path); }
  [[nodiscard]] std::filesystem::path record(int v) const { return path_dir() / ("_v" + std::to_string(v) + ".rec"); }

  // Three rotations: fingerprints of versions 1..3.
  std::vector<std::string> rotate_three_times() {
    std::vector<std::string> fingerprints;
    for (int v = 1; v <= 3; ++v) {
      clock.advance(1h);
      auto report = rotate(ctx, swarm);
      EXPECT_TRUE(report) << report.error().message;
      fingerprints.push_back(report ? report->fingerprint : std::string());
    }
    return fingerprints;
  }

  // The entries of an action that record what happened (a store write's "intent" entry is left out).
  std::vector<ports::AuditEvent> events_for(std::string_view action) const {
    std::vector<ports::AuditEvent> out;
    for (const auto& e : audit.events) {
      if (e.action == action && e.outcome != "intent") out.push_back(e);
    }
    return out;
  }

  testing::TempDir tmp;
  testing::FakeClock clock;
  std::unique_ptr<ports::SecretStore> m_store = open_store();
  testing::RecordingAudit audit;
  Context ctx{*m_store, audit, clock, "alice"};
  Swarm swarm{"ipfs-overlay", std::string(k_path), {}};
};

TEST_F(StoreRecoveryTest, HistoryListsATamperedVersionAsUnreadableAndTheOthersNormally) {
  const auto fingerprints = rotate_three_times();
  std::string bytes = read_file(record(2));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  write_file(record(2), bytes);

  const auto entries = history(ctx, swarm);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 3U);
  for (const std::size_t i : {0U, 2U}) {
    EXPECT_FALSE((*entries)[i].unreadable);
    EXPECT_EQ((*entries)[i].fingerprint, fingerprints[i]);
    EXPECT_TRUE((*entries)[i].unreadable_reason.empty());
  }
  const HistoryEntry& v2 = (*entries)[1];
  EXPECT_EQ(v2.version, 2);
  EXPECT_TRUE(v2.unreadable);
  EXPECT_TRUE(v2.fingerprint.empty());
  EXPECT_TRUE(contains(v2.unreadable_reason, record(2).string())) << v2.unreadable_reason;
  EXPECT_TRUE(contains(v2.unreadable_reason, "authentication failed")) << v2.unreadable_reason;
  ASSERT_EQ(events_for("history").size(), 1U);
  EXPECT_EQ(events_for("history")[0].outcome, "success");
}

TEST_F(StoreRecoveryTest, TheDaemonIssuesNoFirstKeyOverRecordsWithoutMetadataAndReportsIt) {
  rotate_three_times();
  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  const std::string v1 = read_file(record(1));

  testing::FakeTarget target{"t"};
  Swarm daemon_swarm{"ipfs-overlay", std::string(k_path), {}};
  daemon_swarm.targets.push_back(std::make_unique<testing::SharedTarget>(target));
  std::vector<DaemonSwarm> swarms;
  swarms.push_back(DaemonSwarm{std::move(daemon_swarm), domain::RotationPolicy{}});
  auto reconciler = std::make_unique<Reconciler>(Context{*m_store, audit, clock, "keyd-daemon"}, std::move(swarms),
                                                 DaemonOptions{}, [] { return 0.0; });
  DaemonService service(std::move(reconciler), nullptr, clock, "test");
  testing::LogCapture log;
  service.set_leadership({true, true, "me", {}});
  service.tick();
  clock.advance(1h);
  service.tick();

  EXPECT_EQ(events_for("rotate").size(), 3U) << "the daemon rotated over existing records";
  EXPECT_EQ(target.writes, 0) << "a key was delivered";
  EXPECT_EQ(read_file(record(1)), v1);
  EXPECT_TRUE(std::filesystem::exists(record(2)));
  EXPECT_TRUE(std::filesystem::exists(record(3)));
  EXPECT_FALSE(std::filesystem::exists(path_dir() / "_metadata.json"));
  EXPECT_FALSE(contains(log.text(), "issuing the first one")) << log.text();
  EXPECT_TRUE(contains(log.text(), "[error]")) << "an operator must act: logged as an error\n" << log.text();
  EXPECT_TRUE(contains(log.text(), "_v1.rec, _v2.rec, _v3.rec")) << log.text();

  const auto ready = service.handle(ports::ApiRequest{"GET", "/readyz", {}, {}});
  EXPECT_EQ(ready.status, 503) << ready.body;
  const json body = json::parse(ready.body);
  EXPECT_TRUE(contains(body["store"].get<std::string>(), "integrity")) << ready.body;
  ASSERT_EQ(body["swarms"].size(), 1U);
  EXPECT_EQ(body["swarms"][0]["name"], "ipfs-overlay");
  EXPECT_EQ(body["swarms"][0]["store_integrity_error"], true);
  EXPECT_TRUE(contains(body["swarms"][0]["last_error"].get<std::string>(), path_dir().string())) << ready.body;

  const std::string metrics = service.metrics_text();
  EXPECT_TRUE(contains(metrics, "keyd_swarm_store_integrity_error{swarm=\"ipfs-overlay\"} 1")) << metrics;
  EXPECT_TRUE(contains(metrics, "keyd_store_integrity_errors_total{swarm=\"ipfs-overlay\"} 2")) << metrics;
  EXPECT_TRUE(contains(metrics, "keyd_key_version{swarm=\"ipfs-overlay\"} 0")) << metrics;
}

TEST_F(StoreRecoveryTest, RepairStoreRebuildsAndIsAudited) {
  const auto fingerprints = rotate_three_times();
  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  auto repair =
      adapters::make_file_store_repair({.dir = store_dir(), .master_key_file = {}, .max_versions = 10}, clock);
  ASSERT_TRUE(repair);
  const auto report = repair_store(ctx, swarm, **repair);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->current_version, 3);
  const auto events = events_for("repair");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].outcome, "success");
  EXPECT_EQ(events[0].version, 3);
  EXPECT_EQ(events[0].fingerprint, fingerprints[2]);

  // A second repair finds authentic metadata: refused, and audited as a failure.
  const auto again = repair_store(ctx, swarm, **repair);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  ASSERT_EQ(events_for("repair").size(), 2U);
  EXPECT_EQ(events_for("repair")[1].outcome, "failure");
}

}  // namespace
}  // namespace keyd::app
