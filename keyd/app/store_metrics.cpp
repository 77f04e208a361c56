#include "keyd/app/store_metrics.hpp"

#include <chrono>
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

StoreMetrics::Snapshot StoreMetrics::snapshot() const {
  const std::lock_guard lock(m_mutex);
  return Snapshot{m_backend, m_requests, m_durations};
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
