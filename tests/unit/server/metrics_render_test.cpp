// The Prometheus text every metric source renders through (PrometheusText), byte for byte: label
// escaping and numbers, the store's request counters and histogram, and the configuration reloads.
#include "keyd/server/metrics.hpp"
#include "keyd/server/prometheus.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace keyd::server {
namespace {

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_escape(R"(file "a"\b)"), R"(file \"a\"\\b)");
  EXPECT_EQ(prometheus_escape("a\nb"), "a\\nb");
  EXPECT_EQ(prometheus_number(1.5), "1.5");
  EXPECT_EQ(prometheus_number(INFINITY), "+Inf");
}

TEST(PrometheusText, FamiliesAndSamplesInTheExpositionFormat) {
  PrometheusText out;
  out.family("keyd_x_total", "counter", "Things.");
  out.sample("keyd_x_total", {{"swarm", "a \"b\""}, {"outcome", "ok"}}, std::uint64_t{3});
  out.sample("keyd_x_total", {}, 1.25);
  out.sample("keyd_x_total", {{"le", "+Inf"}}, "7");
  EXPECT_EQ(out.text(),
            "# HELP keyd_x_total Things.\n# TYPE keyd_x_total counter\n"
            "keyd_x_total{swarm=\"a \\\"b\\\"\",outcome=\"ok\"} 3\n"
            "keyd_x_total 1.25\n"
            "keyd_x_total{le=\"+Inf\"} 7\n");
}

TEST(StoreMetricsText, CountersAndACumulativeHistogramPerOperation) {
  app::StoreMetrics metrics("vault \"kv\"");
  metrics.record("read", "ok", 0.00390625);
  metrics.record("read", "ok", 0.25);
  metrics.record("read", "unavailable", 20);
  const std::string text = render(metrics);
  EXPECT_EQ(text.substr(0, text.find("# HELP keyd_store_request_duration_seconds")),
            "# HELP keyd_store_requests_total Requests to the secret store by operation and outcome.\n"
            "# TYPE keyd_store_requests_total counter\n"
            "keyd_store_requests_total{backend=\"vault \\\"kv\\\"\",op=\"read\",code=\"ok\"} 2\n"
            "keyd_store_requests_total{backend=\"vault \\\"kv\\\"\",op=\"read\",code=\"unavailable\"} 1\n");
  const std::string labels = "backend=\"vault \\\"kv\\\"\",op=\"read\"";
  for (const std::string& line :
       std::vector<std::string>{"# TYPE keyd_store_request_duration_seconds histogram\n",
                                "keyd_store_request_duration_seconds_bucket{" + labels + ",le=\"0.005\"} 1\n",
                                "keyd_store_request_duration_seconds_bucket{" + labels + ",le=\"0.1\"} 1\n",
                                "keyd_store_request_duration_seconds_bucket{" + labels + ",le=\"0.25\"} 2\n",
                                "keyd_store_request_duration_seconds_bucket{" + labels + ",le=\"10\"} 2\n",
                                "keyd_store_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3\n",
                                "keyd_store_request_duration_seconds_sum{" + labels + "} 20.25390625\n",
                                "keyd_store_request_duration_seconds_count{" + labels + "} 3\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "in\n" << text;
  }
}

TEST(ConfigReloads, RendersEveryOutcomeFromZero) {
  app::ConfigReloads reloads;
  EXPECT_EQ(render(reloads),
            "# HELP keyd_config_reloads_total SIGHUP reloads: restarted in place on the new configuration, or "
            "rejected (the running configuration kept).\n"
            "# TYPE keyd_config_reloads_total counter\n"
            "keyd_config_reloads_total{outcome=\"restarted\"} 0\n"
            "keyd_config_reloads_total{outcome=\"rejected\"} 0\n");
  reloads.record(app::ReloadOutcome::rejected);
  reloads.record(app::ReloadOutcome::rejected);
  reloads.record(app::ReloadOutcome::restarted);
  EXPECT_NE(render(reloads).find("keyd_config_reloads_total{outcome=\"rejected\"} 2\n"), std::string::npos);
  EXPECT_NE(render(reloads).find("keyd_config_reloads_total{outcome=\"restarted\"} 1\n"), std::string::npos);
}

TEST(ProcessMetrics, TheStandardProcessFamilies) {
  ports::ProcessStats stats;
  stats.cpu_seconds = 1.5;
  stats.resident_bytes = 9437184;
  stats.virtual_bytes = 104857600;
  stats.open_fds = 12;
  stats.max_fds = 1024;
  stats.start_time_seconds = 1764892800.25;
  const std::string text = render(stats);
  for (const std::string line : {"# TYPE process_cpu_seconds_total counter\n", "process_cpu_seconds_total 1.5\n",
                                 "# TYPE process_resident_memory_bytes gauge\n", "process_resident_memory_bytes 9437184\n",
                                 "process_virtual_memory_bytes 104857600\n", "process_open_fds 12\n",
                                 "process_max_fds 1024\n", "process_start_time_seconds 1764892800.25\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "in\n" << text;
  }
  stats.max_fds.reset();
  EXPECT_EQ(render(stats).find("process_max_fds"), std::string::npos) << "unlimited: no family";
}

}  // namespace
}  // namespace keyd::server
