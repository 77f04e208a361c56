// The daemon's /metrics text, source by source, each through one PrometheusText: the daemon's
// state (build, leadership, keys, rotations, deliveries, failures), the store's requests and the
// configuration reloads, the process itself. Metric names and labels are listed in docs/daemon.md.
#pragma once

#include "keyd/app/config_reloads.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/app/store_metrics.hpp"
#include "keyd/ports/process_stats.hpp"
#include "keyd/server/prometheus.hpp"

#include <string>
#include <string_view>

namespace keyd::server {

// keyd_build_info, keyd_is_leader, keyd_key_version … keyd_store_integrity_errors_total.
void render_daemon(PrometheusText& out, const app::DaemonView& view, domain::TimePoint now, std::string_view version);
// keyd_store_requests_total and the histogram keyd_store_request_duration_seconds.
void render_store(PrometheusText& out, const app::StoreMetrics::Snapshot& metrics);
// keyd_config_reloads_total, every outcome listed.
void render_reloads(PrometheusText& out, const app::ConfigReloads& reloads);

// The standard process_* families (Prometheus client conventions): process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds, process_max_fds
// (when limited) and process_start_time_seconds.
void render_process(PrometheusText& out, const ports::ProcessStats& stats);

[[nodiscard]] std::string render(const app::StoreMetrics& metrics);
[[nodiscard]] std::string render(const ports::ProcessStats& stats);
[[nodiscard]] std::string render(const app::ConfigReloads& reloads);

}  // namespace keyd::server
