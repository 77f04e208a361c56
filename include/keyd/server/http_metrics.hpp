// The daemon API's own request metrics (issue 19): requests by route and status code, and a
// duration histogram per route. Routes are the API's templates ("/v1/swarms/{swarm}/key"), never
// the caller's path: a hostile client cannot grow the label set (at most 9 routes × the codes the
// API answers with). Counted where DaemonApi answers; a request the HTTP server refuses before it
// reaches the API (a 401 before a body is read, 408, 413, 503 when full) is logged, not counted.
#pragma once

#include "keyd/server/prometheus.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::server {

// The route template of a request path: one of a fixed set, or "other".
[[nodiscard]] std::string_view route_of(const std::vector<std::string_view>& segments);

class HttpMetrics {
 public:
  static constexpr std::array<double, 8> k_buckets{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};

  void record(std::string_view route, int status, std::chrono::nanoseconds duration);
  // keyd_http_requests_total{route,code} and keyd_http_request_duration_seconds{route}.
  void render(PrometheusText& out) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, k_buckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex m_mutex;
  std::map<std::pair<std::string_view, int>, std::uint64_t> m_requests;
  std::map<std::string_view, Histogram> m_durations;
};

}  // namespace keyd::server
