// The daemon API's request metrics; see include/keyd/server/http_metrics.hpp.
#include "keyd/server/http_metrics.hpp"

#include <string>

namespace keyd::server {

std::string_view route_of(const std::vector<std::string_view>& parts) {
  if (parts.size() == 1 && parts[0] == "healthz") return "/healthz";
  if (parts.size() == 1 && parts[0] == "readyz") return "/readyz";
  if (parts.size() == 1 && parts[0] == "metrics") return "/metrics";
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "swarms") return "other";
  if (parts.size() == 2) return "/v1/swarms";
  if (parts.size() == 3) return "/v1/swarms/{swarm}";
  if (parts.size() == 4 && parts[3] == "key") return "/v1/swarms/{swarm}/key";
  if (parts.size() == 4 && parts[3] == "rotate") return "/v1/swarms/{swarm}/rotate";
  if (parts.size() == 4 && parts[3] == "sync") return "/v1/swarms/{swarm}/sync";
  return "other";
}

void HttpMetrics::record(std::string_view route, int status, std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(m_mutex);
  ++m_requests[{route, status}];
  Histogram& h = m_durations[route];
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void HttpMetrics::render(PrometheusText& out) const {
  std::lock_guard lock(m_mutex);
  out.family("keyd_http_requests_total", "counter", "API requests answered, by route template and status code.");
  for (const auto& [key, count] : m_requests) {
    out.sample("keyd_http_requests_total", {{"route", key.first}, {"code", std::to_string(key.second)}}, count);
  }
  out.family("keyd_http_request_duration_seconds", "histogram", "Time to answer an API request, by route template.");
  for (const auto& [route, h] : m_durations) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += h.buckets[i];
      out.sample("keyd_http_request_duration_seconds_bucket", {{"route", route}, {"le", prometheus_number(k_buckets[i])}},
                 cumulative);
    }
    out.sample("keyd_http_request_duration_seconds_bucket", {{"route", route}, {"le", "+Inf"}}, h.count);
    out.sample("keyd_http_request_duration_seconds_sum", {{"route", route}}, h.sum);
    out.sample("keyd_http_request_duration_seconds_count", {{"route", route}}, h.count);
  }
}

}  // namespace keyd::server
