// The daemon's /metrics as a strict Prometheus text parser reads it, carrying the daemon's state
// and the store's requests.
#include "daemon_api_fixture.hpp"
#include "prometheus_parse.hpp"

#include <gtest/gtest.h>

namespace keyd::app {
namespace {

using testing::parse_prometheus;
using testing::value_of;

TEST_F(DaemonApiTest, MetricsParseAsPrometheusTextAndCarryTheState) {
  lead();
  (void)call("POST", "/v1/swarms/ipfs-overlay/rotate", as("token:ci"));
  f.clock.advance(90s);
  service->tick();
  const auto r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const auto samples = parse_prometheus(r.body);
  const std::map<std::string, std::string> swarm{{"swarm", "ipfs-overlay"}};
  EXPECT_EQ(value_of(samples, "keyd_build_info", {{"version", "1.2.3"}}), 1);
  EXPECT_EQ(value_of(samples, "keyd_is_leader", {}), 1);
  EXPECT_EQ(value_of(samples, "keyd_key_version", swarm), 2);
  EXPECT_EQ(value_of(samples, "keyd_key_age_seconds", swarm), 90);
  const auto next = value_of(samples, "keyd_next_rotation_timestamp_seconds", swarm);
  ASSERT_TRUE(next);
  EXPECT_GE(*next, std::chrono::duration<double>(f.clock.now().time_since_epoch() + 720h - 90s).count());
  EXPECT_EQ(value_of(samples, "keyd_rotations_total", {{"swarm", "ipfs-overlay"}, {"outcome", "success"}}), 2);
  EXPECT_EQ(
      value_of(samples, "keyd_sync_total", {{"swarm", "ipfs-overlay"}, {"target", "fake t"}, {"outcome", "unchanged"}}),
      1);
  // Targets as structured labels too (issue 19): the fake target has no kind of its own.
  EXPECT_EQ(value_of(samples, "keyd_sync_total",
                     {{"swarm", "ipfs-overlay"}, {"kind", "other"}, {"namespace", ""}, {"name", "fake t"},
                      {"outcome", "unchanged"}}),
            1);
  EXPECT_EQ(value_of(samples, "keyd_target_last_success_timestamp_seconds",
                     {{"swarm", "ipfs-overlay"}, {"target", "fake t"}, {"kind", "other"}, {"name", "fake t"}}),
            std::chrono::duration<double>(f.clock.now().time_since_epoch()).count())
      << "the tick's check found the target current";
  EXPECT_GT(
      *value_of(samples, "keyd_store_requests_total", {{"backend", "memory"}, {"op", "metadata"}, {"code", "ok"}}), 0);
  EXPECT_EQ(value_of(samples, "keyd_store_requests_total", {{"backend", "memory"}, {"op", "write"}, {"code", "ok"}}),
            2);
  EXPECT_EQ(value_of(samples, "keyd_store_request_duration_seconds_count", {{"op", "write"}}), 2);
  EXPECT_EQ(value_of(samples, "keyd_store_request_duration_seconds_bucket", {{"op", "write"}, {"le", "+Inf"}}), 2);
}

}  // namespace
}  // namespace keyd::app
