#include "keyd/server/metrics.hpp"

#include <chrono>

namespace keyd::server {

namespace {

double unix_seconds(domain::TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

void render_keys(PrometheusText& out, const std::vector<app::SwarmState>& all, domain::TimePoint now) {
  out.family("keyd_key_version", "gauge", "The store's current key version (0: none).");
  for (const auto& s : all) out.sample("keyd_key_version", {{"swarm", s.name}}, s.version);
  out.family("keyd_key_age_seconds", "gauge", "Age of the current key version.");
  for (const auto& s : all) {
    if (s.created) {
      out.sample("keyd_key_age_seconds", {{"swarm", s.name}}, std::chrono::duration<double>(now - *s.created).count());
    }
  }
  out.family("keyd_next_rotation_timestamp_seconds", "gauge",
             "When the next scheduled rotation may start (Unix time).");
  for (const auto& s : all) {
    if (s.schedule) {
      out.sample("keyd_next_rotation_timestamp_seconds", {{"swarm", s.name}}, unix_seconds(s.schedule->next));
    }
  }
}

void render_outcomes(PrometheusText& out, const std::vector<app::SwarmState>& all) {
  out.family("keyd_rotations_total", "counter", "Rotations by outcome (success, failure, delivery_failed, conflict).");
  for (const auto& s : all) {
    for (const auto& [outcome, n] : s.rotations) {
      out.sample("keyd_rotations_total", {{"swarm", s.name}, {"outcome", to_string(outcome)}}, n);
    }
  }
  out.family("keyd_sync_total", "counter", "Deliveries to targets by outcome (changed, unchanged, failed).");
  for (const auto& s : all) {
    for (const auto& t : s.targets) {
      for (const auto& [outcome, n] : t.syncs) {
        out.sample("keyd_sync_total",
                   {{"swarm", s.name},
                    {"target", t.target},
                    {"kind", t.identity.kind},
                    {"namespace", t.identity.namespace_name},
                    {"name", t.identity.name},
                    {"outcome", to_string(outcome)}},
                   n);
      }
    }
  }
  out.family("keyd_target_last_success_timestamp_seconds", "gauge",
             "When a check or delivery last left the target holding the current key (Unix time).");
  for (const auto& s : all) {
    for (const auto& t : s.targets) {
      if (!t.last_success) continue;
      out.sample("keyd_target_last_success_timestamp_seconds",
                 {{"swarm", s.name},
                  {"target", t.target},
                  {"kind", t.identity.kind},
                  {"namespace", t.identity.namespace_name},
                  {"name", t.identity.name}},
                 unix_seconds(*t.last_success));
    }
  }
}

void render_failures(PrometheusText& out, const std::vector<app::SwarmState>& all) {
  out.family("keyd_swarm_consecutive_failures", "gauge", "Failed checks in a row (0 when healthy).");
  for (const auto& s : all) out.sample("keyd_swarm_consecutive_failures", {{"swarm", s.name}}, s.consecutive_failures);
  out.family("keyd_swarm_store_integrity_error", "gauge",
             "1 while the store reports the swarm's path as damaged (integrity): nothing is issued over it.");
  for (const auto& s : all) {
    out.sample("keyd_swarm_store_integrity_error", {{"swarm", s.name}}, s.store_integrity_error ? 1 : 0);
  }
  out.family("keyd_store_integrity_errors_total", "counter", "Checks that ended in a store integrity error.");
  for (const auto& s : all)
    out.sample("keyd_store_integrity_errors_total", {{"swarm", s.name}}, s.store_integrity_errors);
}

}  // namespace

void render_daemon(PrometheusText& out, const app::DaemonView& view, domain::TimePoint now, std::string_view version) {
  out.family("keyd_build_info", "gauge", "keyd's version.");
  out.sample("keyd_build_info", {{"version", version}}, 1);
  out.family("keyd_is_leader", "gauge", "1 when this process leads (rotates and writes).");
  out.sample("keyd_is_leader", {}, view.leadership.leading ? 1 : 0);
  render_keys(out, view.swarms, now);
  render_outcomes(out, view.swarms);
  render_failures(out, view.swarms);
}

void render_store(PrometheusText& out, const app::StoreMetrics::Snapshot& metrics) {
  const std::string_view backend = metrics.backend;
  out.family("keyd_store_requests_total", "counter", "Requests to the secret store by operation and outcome.");
  for (const auto& [key, count] : metrics.requests) {
    out.sample("keyd_store_requests_total", {{"backend", backend}, {"op", key.first}, {"code", key.second}}, count);
  }
  out.family("keyd_store_request_duration_seconds", "histogram", "Duration of secret store requests.");
  const auto& buckets = app::StoreMetrics::k_buckets;
  for (const auto& [op, h] : metrics.durations) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      cumulative += h.buckets[i];
      const std::string le = prometheus_number(buckets[i]);
      out.sample("keyd_store_request_duration_seconds_bucket", {{"backend", backend}, {"op", op}, {"le", le}},
                 cumulative);
    }
    out.sample("keyd_store_request_duration_seconds_bucket", {{"backend", backend}, {"op", op}, {"le", "+Inf"}},
               h.count);
    out.sample("keyd_store_request_duration_seconds_sum", {{"backend", backend}, {"op", op}}, h.sum);
    out.sample("keyd_store_request_duration_seconds_count", {{"backend", backend}, {"op", op}}, h.count);
  }
}

void render_reloads(PrometheusText& out, const app::ConfigReloads& reloads) {
  out.family("keyd_config_reloads_total", "counter",
             "SIGHUP reloads: restarted in place on the new configuration, or rejected (the running configuration "
             "kept).");
  for (const app::ReloadOutcome outcome : app::k_reload_outcomes) {
    out.sample("keyd_config_reloads_total", {{"outcome", app::to_string(outcome)}}, reloads.count(outcome));
  }
}

void render_process(PrometheusText& out, const ports::ProcessStats& stats) {
  out.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  out.sample("process_cpu_seconds_total", {}, stats.cpu_seconds);
  out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out.sample("process_resident_memory_bytes", {}, stats.resident_bytes);
  out.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  out.sample("process_virtual_memory_bytes", {}, stats.virtual_bytes);
  out.family("process_open_fds", "gauge", "Number of open file descriptors.");
  out.sample("process_open_fds", {}, stats.open_fds);
  if (stats.max_fds) {
    out.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
    out.sample("process_max_fds", {}, *stats.max_fds);
  }
  out.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  out.sample("process_start_time_seconds", {}, stats.start_time_seconds);
}

std::string render(const ports::ProcessStats& stats) {
  PrometheusText out;
  render_process(out, stats);
  return std::move(out).text();
}

std::string render(const app::StoreMetrics& metrics) {
  PrometheusText out;
  render_store(out, metrics.snapshot());
  return std::move(out).text();
}

std::string render(const app::ConfigReloads& reloads) {
  PrometheusText out;
  render_reloads(out, reloads);
  return std::move(out).text();
}

}  // namespace keyd::server
