// DaemonApi: the daemon's HTTP API behind ports::ApiHandler, in front of app::DaemonService.
// Routes a path to its handler, checks the caller's grants (key readers, operators; refusals are
// audited), and answers in JSON (keyd/server/responses.hpp) or Prometheus text (/metrics). The
// HTTP server adapter (keyd/adapters/http) calls handle() from its worker threads.
#pragma once

#include "keyd/server/http_metrics.hpp"

#include "keyd/app/daemon_service.hpp"
#include "keyd/app/store_metrics.hpp"
#include "keyd/ports/api.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::server {

class DaemonApi final : public ports::ApiHandler {
 public:
  // `daemon` outlives this. Without `store_metrics` /metrics has no store families.
  DaemonApi(app::DaemonService& daemon, std::shared_ptr<app::StoreMetrics> store_metrics, std::string version);

  [[nodiscard]] ports::ApiResponse handle(const ports::ApiRequest& request) override;

  [[nodiscard]] std::string metrics_text() const;
  // More metric families (with HELP and TYPE lines), appended to metrics_text(). Call before the
  // API serves; `render` is then called from its worker threads.
  void add_metrics(std::function<std::string()> render);

 private:
  [[nodiscard]] ports::ApiResponse route(const ports::ApiRequest& request, const std::vector<std::string_view>& parts);
  [[nodiscard]] ports::ApiResponse swarm_action(const ports::ApiRequest& request, std::string_view name,
                                                std::string_view action);
  [[nodiscard]] ports::ApiResponse read_key(const ports::ApiRequest& request, std::string_view name);
  [[nodiscard]] ports::ApiResponse list(const std::vector<std::string_view>& parts);
  // 404 for an unknown swarm, 403 (audited) for a caller that is not one of its operators.
  [[nodiscard]] std::optional<ports::ApiResponse> refuse_action(const ports::ApiRequest& request, std::string_view name,
                                                                std::string_view action);
  [[nodiscard]] bool known(std::string_view name) const;

  app::DaemonService& m_daemon;
  std::shared_ptr<app::StoreMetrics> m_store_metrics;
  std::string m_version;
  std::vector<std::function<std::string()>> m_more_metrics;
  HttpMetrics m_http_metrics;
};

}  // namespace keyd::server
