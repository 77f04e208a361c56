// Store request metrics for the daemon: every SecretStore call counted by operation and outcome,
// and timed into a histogram. InstrumentedStore wraps the real store; StoreMetrics keeps the counts
// (keyd/server renders them as Prometheus text). Thread-safe.
#pragma once

#include "keyd/ports/secret_store.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace keyd::app {

class StoreMetrics {
 public:
  explicit StoreMetrics(std::string backend) : m_backend(std::move(backend)) {}
  // op: metadata, read, write; code: "ok" or an ErrorCode name.
  void record(std::string_view op, std::string_view code, double seconds);

  static constexpr std::array<double, 11> k_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  struct Histogram {
    std::array<std::uint64_t, k_buckets.size()> buckets{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  // The counts at one moment, for the metrics text.
  struct Snapshot {
    std::string backend;
    std::map<std::pair<std::string, std::string>, std::uint64_t> requests;  // (op, code) → count
    std::map<std::string, Histogram> durations;                             // op → histogram
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::string m_backend;
  mutable std::mutex m_mutex;
  std::map<std::pair<std::string, std::string>, std::uint64_t> m_requests;
  std::map<std::string, Histogram> m_durations;
};

class InstrumentedStore final : public ports::SecretStore {
 public:
  InstrumentedStore(ports::SecretStore& inner, StoreMetrics& metrics) : m_inner(inner), m_metrics(metrics) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return m_inner.capabilities(); }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override;
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override;
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override;

 private:
  ports::SecretStore& m_inner;
  StoreMetrics& m_metrics;
};

}  // namespace keyd::app
