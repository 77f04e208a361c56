// DaemonService: the reconciler made safe to share between the daemon's loop thread and the HTTP
// API's worker threads, plus leadership, readiness and the metrics text. The loop calls tick();
// the API reads a published copy of the state (never waiting behind a long delivery) and
// serialises rotate and sync with the loop.
#pragma once

#include "keyd/app/daemon.hpp"
#include "keyd/app/store_metrics.hpp"
#include "keyd/ports/api.hpp"
#include "keyd/ports/leadership.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace keyd::app {

class DaemonService final : public ports::ApiHandler {
 public:
  DaemonService(std::unique_ptr<Reconciler> reconciler, std::shared_ptr<StoreMetrics> store_metrics,
                const ports::Clock& clock, std::string version);

  // One reconciler pass; returns when to call again.
  domain::TimePoint tick();
  // The elector's last round: only a leader writes.
  void set_leadership(const ports::LeadershipStatus& status);

  [[nodiscard]] ports::ApiResponse handle(const ports::ApiRequest& request) override;

  [[nodiscard]] std::string metrics_text() const;
  [[nodiscard]] std::vector<SwarmState> swarms() const;

 private:
  void publish();
  [[nodiscard]] ports::ApiResponse readyz() const;
  [[nodiscard]] ports::ApiResponse swarm_action(const ports::ApiRequest& request, std::string_view name,
                                                std::string_view action);

  std::unique_ptr<Reconciler> m_reconciler;
  std::shared_ptr<StoreMetrics> m_store_metrics;
  const ports::Clock& m_clock;
  std::string m_version;
  std::mutex m_work;  // the reconciler: tick, rotate, sync
  std::atomic<bool> m_leading{false};

  mutable std::mutex m_view;  // what the API reads
  std::vector<SwarmState> m_swarms;
  ports::LeadershipStatus m_leadership;
  bool m_checked_once = false;
};

}  // namespace keyd::app
