// The daemon's /metrics as a strict Prometheus text parser reads it, carrying the daemon's state
// and the store's requests.
#include "daemon_api_fixture.hpp"
#include "prometheus_parse.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

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

// Issue 19: the API's own requests, by route template and status code. A hostile client's paths
// never become label values: any number of made-up swarm names is one route.
TEST_F(DaemonApiTest, HttpRequestsAreCountedByRouteTemplateAndCode) {
  lead();
  (void)call("GET", "/healthz");
  (void)call("GET", "/v1/swarms/ipfs-overlay/key");  // no token: 401
  for (int i = 0; i < 50; ++i) (void)call("GET", "/v1/swarms/made-up-" + std::to_string(i) + "/key", as("token:ci"));
  (void)call("GET", "/no/such/thing");
  const auto r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  const auto samples = parse_prometheus(r.body);
  EXPECT_EQ(value_of(samples, "keyd_http_requests_total", {{"route", "/healthz"}, {"code", "200"}}), 1);
  EXPECT_EQ(value_of(samples, "keyd_http_requests_total", {{"route", "/v1/swarms/{swarm}/key"}, {"code", "401"}}), 1);
  const auto made_up = value_of(samples, "keyd_http_requests_total", {{"route", "/v1/swarms/{swarm}/key"}, {"code", "404"}});
  const auto refused = value_of(samples, "keyd_http_requests_total", {{"route", "/v1/swarms/{swarm}/key"}, {"code", "403"}});
  EXPECT_EQ(made_up.value_or(0) + refused.value_or(0), 50) << r.body;
  EXPECT_EQ(value_of(samples, "keyd_http_requests_total", {{"route", "other"}, {"code", "404"}}), 1);
  EXPECT_EQ(value_of(samples, "keyd_http_request_duration_seconds_count", {{"route", "/v1/swarms/{swarm}/key"}}), 51);
  std::set<std::string> routes;
  for (const auto& s : samples) {
    if (s.name == "keyd_http_requests_total") routes.insert(s.labels.at("route"));
  }
  EXPECT_EQ(routes, (std::set<std::string>{"/healthz", "/v1/swarms/{swarm}/key", "other"}))
      << "no caller's path became a label value";
}

}  // namespace
}  // namespace keyd::app
