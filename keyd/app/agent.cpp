// keyd agent: the init-container (once) and sidecar (run) loops. See include/keyd/app/agent.hpp.
#include "keyd/app/agent.hpp"

#include "keyd/common/log_fields.hpp"

#include "keyd/domain/backoff.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "swarm_ops.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace keyd::app {

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
}

// A limit as the user wrote it, most likely: "2s", "90s", "1.5s".
std::string limit_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000) : seconds_text(d);
}

}  // namespace

namespace detail {

// The sink as a target of the delivery core. The agent has already asked the sink what it holds
// (a sink that holds the key is left alone, unaudited), so apply() writes.
class SinkWrite final : public ports::Target {
 public:
  explicit SinkWrite(ports::KeySink& sink) : m_sink(sink) {}
  [[nodiscard]] std::string describe() const override { return m_sink.describe(); }
  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override {
    KEYD_TRY(m_sink.write(delivery));
    return ports::ApplyOutcome::changed;
  }

 private:
  ports::KeySink& m_sink;
};

}  // namespace detail

std::string_view to_string(SinkOutcome outcome) {
  switch (outcome) {
    case SinkOutcome::unchanged:
      return "unchanged";
    case SinkOutcome::created:
      return "created";
    case SinkOutcome::repaired:
      return "repaired";
    case SinkOutcome::replaced:
      return "replaced";
  }
  return "unknown";
}

bool agent_should_retry(const Error& error) {
  return error.code == ErrorCode::unavailable || error.code == ErrorCode::timeout || error.code == ErrorCode::not_found;
}

Agent::Agent(Context& ctx, const Swarm& swarm, ports::KeySink& sink, ports::ChangeAction* action, AgentOptions options,
             AgentHooks hooks)
    : m_ctx(ctx),
      m_swarm(swarm),
      m_sink(sink),
      m_action(action),
      m_options(options),
      m_hooks(std::move(hooks)),
      m_delivery{swarm.name, swarm.path, {}} {
  m_ctx.account_versions = false;  // the writer's keyd accounts for versions in its own audit trail
  m_delivery.targets.push_back(std::make_unique<detail::SinkWrite>(m_sink));
}

Result<AgentReport> Agent::once() {
  const LogScope swarm_scope({.swarm = m_swarm.name});
  const int attempts = std::max(1, m_options.retries + 1);
  const domain::BackoffPolicy policy{attempts, m_options.retry_base, m_options.retry_max_wait, {}};
  const auto started = m_ctx.clock.now();
  const auto remaining = [&]() -> std::optional<std::chrono::milliseconds> {
    if (!m_options.time_limit) return std::nullopt;
    const auto used = std::chrono::duration_cast<std::chrono::milliseconds>(m_ctx.clock.now() - started);
    return std::max(std::chrono::milliseconds{0}, *m_options.time_limit - used);
  };
  for (int attempt = 1;; ++attempt) {
    auto fetched = fetch_current();
    if (fetched) {
      KEYD_TRY(sync_sink());
      m_pending.reset();  // an init container's consumer has not started: nothing to notify
      return m_report;
    }
    Error error = std::move(fetched).error();
    const auto left = remaining();
    const bool out_of_time = left && *left <= std::chrono::milliseconds{0};
    const bool retryable = agent_should_retry(error);
    if (!retryable || attempt >= attempts || out_of_time) {
      if (out_of_time && retryable) {
        error.message += fmt::format(" (gave up after {} attempt{}: the time limit of {} passed)", attempt,
                                     attempt == 1 ? "" : "s", limit_text(*m_options.time_limit));
        error.code = ErrorCode::timeout;
      } else if (attempt > 1) {
        error.message += fmt::format(" (gave up after {} attempts)", attempt);
      }
      return fail(std::move(error));
    }
    auto delay = domain::backoff_delay(policy, attempt, jitter(), std::nullopt);
    if (left) delay = std::min(delay, *left);  // the last attempt starts at the latest when the time is up
    if (m_hooks.progress) {
      m_hooks.progress(fmt::format("waiting for {}: attempt {}/{} in {}: {}", m_ctx.store.describe(), attempt + 1,
                                   attempts, seconds_text(delay), error.message));
    }
    m_ctx.clock.sleep_for(delay);
  }
}

AgentReport Agent::run() {
  m_continuous = true;
  int failures = 0;
  while (!stopping()) {
    std::chrono::milliseconds delay{};
    if (auto st = poll(); st) {
      failures = 0;
      if (m_report.exit_requested) break;
      const double j = std::clamp(m_options.interval_jitter, 0.0, 1.0);
      const double factor = 1.0 - j + 2.0 * j * std::clamp(jitter(), 0.0, 1.0);
      delay = std::chrono::milliseconds(std::llround(static_cast<double>(m_options.interval.count()) * factor));
    } else {
      ++failures;
      const domain::BackoffPolicy policy{0, m_options.retry_base, m_options.retry_max_wait, {}};
      delay = domain::backoff_delay(policy, failures, jitter(), std::nullopt);
      if (m_hooks.progress) {
        m_hooks.progress(
            fmt::format("{} (failure {} in a row; next try in {})", st.error().message, failures, seconds_text(delay)));
      }
    }
    if (!wait(delay)) break;
  }
  return m_report;
}

Status Agent::poll() {
  const LogScope swarm_scope({.swarm = m_swarm.name});
  if (!m_current) {
    KEYD_TRY(fetch_current());
  } else {
    ++m_report.polls;
    auto meta = m_ctx.store.metadata(m_swarm.path);
    if (!meta) return fail(meta.error());
    if (meta->current_version != m_current->info.version) {
      spdlog::debug("swarm {}: store version {} → {}", m_swarm.name, m_current->info.version, meta->current_version);
      KEYD_TRY(fetch_current());
    }
  }
  KEYD_TRY(sync_sink());
  return run_pending_action();
}

Status Agent::fetch_current() {
  ++m_report.fetches;
  KEYD_ASSIGN_OR_RETURN(auto stored, fetch(m_ctx, m_swarm, std::nullopt));
  // Never hand a consumer a broken key: Kubo would refuse to start. The fingerprint is recomputed,
  // so what the sink is compared with is the key itself, not a label stored beside it.
  auto parsed = domain::parse_swarm_key(stored.data.key_text);
  if (!parsed) {
    return fail(
        ErrorCode::integrity,
        fmt::format("swarm {}: version {} at {} path {} is not a valid swarm key ({}); the sink was left as it is",
                    m_swarm.name, stored.info.version, m_ctx.store.describe(), m_swarm.path, parsed.error().message));
  }
  const std::string fingerprint = parsed->key.fingerprint().hex();
  if (fingerprint != stored.data.fingerprint) {
    spdlog::warn("swarm {}: version {} records fingerprint {} but its key has fingerprint {}; using the key's",
                 m_swarm.name, stored.info.version, stored.data.fingerprint, fingerprint);
    stored.data.fingerprint = fingerprint;
  }
  m_current = std::move(stored);
  return {};
}

Status Agent::sync_sink() {
  const ports::StoredVersion& current = *m_current;
  const std::string& fingerprint = current.data.fingerprint;
  KEYD_ASSIGN_OR_RETURN(const ports::SinkState state, m_sink.inspect());
  m_report.version = current.info.version;
  m_report.fingerprint = fingerprint;
  if (state.fingerprint == fingerprint && state.exact) {
    m_report.last_outcome = SinkOutcome::unchanged;
    return {};
  }
  const std::string where = m_sink.describe();
  // Written and audited by the delivery core, as every delivery is. An audit failure is returned
  // after the change is recorded: the consumer's on-change action is owed either way.
  const detail::DeliveryOptions options{.audit_unchanged = true, .stop_on_audit_failure = false};
  KEYD_ASSIGN_OR_RETURN(auto results, detail::deliver(m_ctx, m_delivery, current.info.version, current.data, options));
  detail::TargetDelivery& written = results.front();
  if (written.failure) return fail(std::move(*written.failure));
  ++m_report.writes;
  m_report.last_outcome = state.fingerprint.empty()          ? SinkOutcome::created
                          : state.fingerprint == fingerprint ? SinkOutcome::repaired
                                                             : SinkOutcome::replaced;
  if (m_report.last_outcome == SinkOutcome::replaced) {
    m_pending = PendingChange{current.info.version, fingerprint, state.fingerprint};
  }
  if (m_continuous && m_hooks.progress) {
    m_hooks.progress(fmt::format(
        "swarm {}: {} {}: version {} (fingerprint {}){}", m_swarm.name, where, to_string(m_report.last_outcome),
        current.info.version, fingerprint,
        m_report.last_outcome == SinkOutcome::replaced ? fmt::format(", was fingerprint {}", state.fingerprint) : ""));
  }
  if (written.audit_failure) return fail(std::move(*written.audit_failure));
  return {};
}

Status Agent::run_pending_action() {
  if (!m_pending) return {};
  if (m_action == nullptr) {
    m_pending.reset();
    return {};
  }
  const PendingChange change = *m_pending;
  const std::string where = m_sink.describe();
  const std::string what = m_action->describe();
  const detail::AuditFields fields{"on-change", m_swarm.name, change.version, change.fingerprint, what};
  auto after = m_action->run({m_swarm.name, where, change.version, change.fingerprint, change.previous_fingerprint});
  if (!after) {
    Error error =
        after.error().with_context(fmt::format("swarm {}: on-change action {} (will try again)", m_swarm.name, what));
    return fail(detail::audit_failure(m_ctx, fields, std::move(error)));
  }
  m_pending.reset();  // before auditing: an audit failure must not run the action twice
  ++m_report.actions;
  if (*after == ports::AfterChange::exit) m_report.exit_requested = true;
  if (m_hooks.progress) m_hooks.progress(fmt::format("swarm {}: ran on-change action {}", m_swarm.name, what));
  return detail::audit_success(m_ctx, fields);
}

bool Agent::wait(std::chrono::milliseconds total) {
  const auto slice = std::max(m_options.wait_slice, std::chrono::milliseconds{1});
  while (total.count() > 0) {
    if (stopping()) return false;
    const auto step = std::min(total, slice);
    m_ctx.clock.sleep_for(step);
    total -= step;
  }
  return !stopping();
}

}  // namespace keyd::app
