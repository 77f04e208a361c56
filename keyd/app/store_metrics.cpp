#include "keyd/app/store_metrics.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <functional>

namespace keyd::app {

namespace {

template <typename T>
Result<T> timed(StoreMetrics& metrics, std::string_view op, const std::function<Result<T>()>& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  metrics.record(op, result ? std::string_view("ok") : to_string(result.error().code), took.count());
  return result;
}

}  // namespace

std::string prometheus_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void StoreMetrics::record(std::string_view op, std::string_view code, double seconds) {
  const std::lock_guard lock(m_mutex);
  ++m_requests[{std::string(op), std::string(code)}];
  Histogram& h = m_durations[std::string(op)];
  ++h.count;
  h.sum += seconds;
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

std::string StoreMetrics::render() const {
  const std::lock_guard lock(m_mutex);
  const std::string backend = prometheus_escape(m_backend);
  std::string out =
      "# HELP keyd_store_requests_total Requests to the secret store by operation and outcome.\n"
      "# TYPE keyd_store_requests_total counter\n";
  for (const auto& [key, count] : m_requests) {
    out += fmt::format("keyd_store_requests_total{{backend=\"{}\",op=\"{}\",code=\"{}\"}} {}\n", backend,
                       prometheus_escape(key.first), prometheus_escape(key.second), count);
  }
  out +=
      "# HELP keyd_store_request_duration_seconds Duration of secret store requests.\n"
      "# TYPE keyd_store_request_duration_seconds histogram\n";
  for (const auto& [op, h] : m_durations) {
    const std::string labels = fmt::format("backend=\"{}\",op=\"{}\"", backend, prometheus_escape(op));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("keyd_store_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         prometheus_number(k_buckets[i]), cumulative);
    }
    out += fmt::format("keyd_store_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, h.count);
    out += fmt::format("keyd_store_request_duration_seconds_sum{{{}}} {}\n", labels, prometheus_number(h.sum));
    out += fmt::format("keyd_store_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }
  return out;
}

Result<ports::PathMetadata> InstrumentedStore::metadata(std::string_view path) {
  return timed<ports::PathMetadata>(m_metrics, "metadata", [&] { return m_inner.metadata(path); });
}

Result<ports::StoredVersion> InstrumentedStore::read(std::string_view path, std::optional<int> version) {
  return timed<ports::StoredVersion>(m_metrics, "read", [&] { return m_inner.read(path, version); });
}

Result<int> InstrumentedStore::write(std::string_view path, const ports::VersionData& data, int cas) {
  return timed<int>(m_metrics, "write", [&] { return m_inner.write(path, data, cas); });
}

}  // namespace keyd::app
