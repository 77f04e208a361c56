// DaemonService: the reconciler made safe to share between the daemon's loop thread and the HTTP
// API's worker threads, plus leadership, readiness and the metrics text. The loop calls tick();
// the API reads a published copy of the state (never waiting behind a long delivery) and
// serialises rotate and sync with the loop. The key endpoint reads the store itself (not a cache),
// outside the loop's lock.
#pragma once

#include "keyd/app/daemon.hpp"
#include "keyd/app/store_metrics.hpp"
#include "keyd/ports/api.hpp"
#include "keyd/ports/leadership.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace keyd::app {

// One swarm's store path and its grants: who may GET /v1/swarms/{name}/key, and who may POST
// …/rotate and …/sync.
struct KeyReaders {
  std::string swarm;
  std::string path;                      // store path
  std::vector<std::string> readers;      // Caller::name values (swarms[].key_readers); empty: nobody
  std::vector<std::string> operators{};  // Caller::name values (swarms[].operators); empty: nobody
};

// What the key endpoint reads and audits with. Called from the API's worker threads while the
// reconciler runs: the store must be safe for that (wrap it in a SerialisedStore).
struct KeyAccess {
  ports::SecretStore& store;
  ports::AuditLog& audit;
  std::vector<KeyReaders> swarms;
};

// A SecretStore whose calls run one at a time, so the reconciler's thread and the API's workers
// can share adapters that are not thread-safe (Vault token renewal, the MCP child's pipes). Each
// call is bounded by the adapter's own timeouts, so a waiting key read is too.
class SerialisedStore final : public ports::SecretStore {
 public:
  explicit SerialisedStore(ports::SecretStore& inner) : m_inner(inner) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return m_inner.capabilities(); }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override;
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override;
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override;

 private:
  ports::SecretStore& m_inner;
  std::mutex m_mutex;
};

class DaemonService final : public ports::ApiHandler {
 public:
  // Without `keys` the key, rotate and sync endpoints serve nobody (403).
  DaemonService(std::unique_ptr<Reconciler> reconciler, std::shared_ptr<StoreMetrics> store_metrics,
                const ports::Clock& clock, std::string version, std::optional<KeyAccess> keys = std::nullopt);

  // One reconciler pass; returns when to call again.
  domain::TimePoint tick();
  // The elector's last round: only a leader writes.
  void set_leadership(const ports::LeadershipStatus& status);

  [[nodiscard]] ports::ApiResponse handle(const ports::ApiRequest& request) override;

  [[nodiscard]] std::string metrics_text() const;
  // More metric families (with HELP and TYPE lines), appended to metrics_text(). Call before the
  // API serves; `render` is then called from its worker threads.
  void add_metrics(std::function<std::string()> render);
  [[nodiscard]] std::vector<SwarmState> swarms() const;

 private:
  void publish();
  [[nodiscard]] ports::ApiResponse readyz() const;
  [[nodiscard]] ports::ApiResponse swarm_action(const ports::ApiRequest& request, std::string_view name,
                                                std::string_view action);
  [[nodiscard]] ports::ApiResponse read_key(const ports::ApiRequest& request, std::string_view name);
  // 404 for an unknown swarm, 403 (audited) for a caller that is not one of its operators.
  [[nodiscard]] std::optional<ports::ApiResponse> refuse_action(const ports::ApiRequest& request, std::string_view name,
                                                                std::string_view action);

  std::unique_ptr<Reconciler> m_reconciler;
  std::shared_ptr<StoreMetrics> m_store_metrics;
  std::vector<std::function<std::string()>> m_more_metrics;
  const ports::Clock& m_clock;
  std::string m_version;
  std::optional<KeyAccess> m_keys;
  std::mutex m_work;  // the reconciler: tick, rotate, sync
  std::atomic<bool> m_leading{false};

  mutable std::mutex m_view;  // what the API reads
  std::vector<SwarmState> m_swarms;
  ports::LeadershipStatus m_leadership;
  bool m_checked_once = false;
};

}  // namespace keyd::app
