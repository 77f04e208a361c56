#include "keyd/app/daemon.hpp"

#include "swarm_ops.hpp"

#include "keyd/common/log_fields.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

namespace keyd::app {

namespace {

using domain::TimePoint;

// Marks the swarm's store as damaged when `error` is an integrity error, and passes it on.
const Error& integrity_checked(SwarmState& state, const Error& error) {
  if (error.code == ErrorCode::integrity) {
    state.store_integrity_error = true;
    ++state.store_integrity_errors;
  }
  return error;
}

// The current version as `meta` lists it, when it is the version this run wrote (`written`): the
// store has check-and-set, the write was accepted only over the version before it, so the store
// gave that number to this write and to no other; and the metadata, read after the write and after
// the post-delivery catch-up, still names it current. nullptr (read it back) otherwise: another
// version came meanwhile, the store lacks check-and-set (mcp), or the metadata does not list it.
const ports::VersionInfo* written_current(const ports::PathMetadata& meta, const Context& ctx,
                                          const KeyReport* written) {
  if (written == nullptr || !written->stored || written->version != meta.current_version ||
      !ctx.store.capabilities().check_and_set) {
    return nullptr;
  }
  for (const ports::VersionInfo& info : meta.versions) {
    if (info.version == meta.current_version && !info.deleted && !info.destroyed && !info.created_time.empty()) {
      return &info;
    }
  }
  return nullptr;
}

std::chrono::milliseconds stretched(std::chrono::milliseconds interval, double fraction) {
  return interval + std::chrono::milliseconds{static_cast<std::int64_t>(static_cast<double>(interval.count()) *
                                                                        std::clamp(fraction, 0.0, 1.0))};
}

}  // namespace

Reconciler::Reconciler(Context ctx, std::vector<DaemonSwarm> swarms, DaemonOptions options,
                       std::function<double()> jitter)
    : m_ctx(std::move(ctx)), m_options(options), m_jitter(std::move(jitter)) {
  const TimePoint now = m_ctx.clock.now();
  m_entries.reserve(swarms.size());
  for (auto& s : swarms) {
    Entry entry{std::move(s), {}, std::nullopt};
    entry.state.name = entry.config.swarm.name;
    entry.state.path = entry.config.swarm.path;
    entry.state.window = entry.config.policy.window ? entry.config.policy.window->text() : std::string();
    entry.state.next_check = now;  // the first tick checks everything
    for (const auto& target : entry.config.swarm.targets) {
      TargetState ts;
      ts.target = target->describe();
      ts.identity = target->identity();
      entry.state.targets.push_back(std::move(ts));
    }
    m_entries.push_back(std::move(entry));
  }
}

void Reconciler::set_leader(bool leader) {
  if (leader && !m_leader) {
    const TimePoint now = m_ctx.clock.now();
    for (Entry& entry : m_entries) entry.state.next_check = std::min(entry.state.next_check, now);
  }
  m_leader = leader;
}

TimePoint Reconciler::tick(const AfterSwarm& after_swarm) {
  const TimePoint start = m_ctx.clock.now();
  const auto due = [&](const Entry& entry) {
    const auto& schedule = entry.state.schedule;
    const bool rotation_due =
        m_leader && schedule && entry.state.consecutive_failures == 0 && schedule->rotate_now(start);
    return entry.state.next_check <= start || rotation_due;
  };
  const auto width = static_cast<std::size_t>(std::max(1, m_options.concurrency));
  // By index: the callback may run on-demand calls, which change entries but never the vector. A
  // group is gathered just before it runs, so a swarm an on-demand call just checked is not due.
  std::vector<std::size_t> group;
  bool stopped = false;
  for (std::size_t next = 0; next < m_entries.size() && !stopped;) {
    group.clear();
    for (; next < m_entries.size() && group.size() < width; ++next) {
      if (due(m_entries[next])) group.push_back(next);
    }
    if (group.empty()) break;
    check_group(group, start);
    for (const std::size_t i : group) {
      if (after_swarm && !after_swarm(i, m_entries[i].state)) {
        stopped = true;
        break;
      }
    }
  }
  const TimePoint now = m_ctx.clock.now();
  TimePoint wake = TimePoint::max();
  for (const Entry& entry : m_entries) {
    wake = std::min(wake, entry.state.next_check);
    const auto& schedule = entry.state.schedule;
    if (m_leader && schedule && entry.state.consecutive_failures == 0) wake = std::min(wake, schedule->next);
  }
  return std::max(wake, now);
}

void Reconciler::check_group(const std::vector<std::size_t>& indices, TimePoint now) {
  // Each worker has its own Context (the same store, audit and clock) and its own entry: entries
  // share nothing but the store, the audit log and the jitter, which take concurrent calls.
  const auto run = [this, now](std::size_t index) {
    Context ctx = m_ctx;
    (void)check(m_entries[index], now, ctx);
  };
  std::vector<std::exception_ptr> errors(indices.size());
  std::vector<std::thread> workers;
  workers.reserve(indices.size() - 1);
  for (std::size_t k = 1; k < indices.size(); ++k) {
    workers.emplace_back([&run, &errors, &indices, k] {
      try {
        run(indices[k]);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
  }
  try {
    run(indices.front());
  } catch (...) {
    errors.front() = std::current_exception();
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

double Reconciler::jitter() {
  const std::lock_guard lock(m_jitter_mutex);
  return m_jitter();
}

Result<KeyReport> Reconciler::rotate(std::string_view swarm, std::string_view actor) {
  Entry* entry = find(swarm);
  if (entry == nullptr) return fail(ErrorCode::not_found, fmt::format("no swarm named '{}'", swarm));
  if (!m_leader) {
    return fail(ErrorCode::unavailable, "this keyd is not the leader; rotations run on the leader only");
  }
  Context ctx = with_actor(actor);
  return rotate_entry(*entry, ctx.clock.now(), ctx, "rotate", std::nullopt);
}

Result<SwarmState> Reconciler::sync(std::string_view swarm, std::string_view actor) {
  Entry* entry = find(swarm);
  if (entry == nullptr) return fail(ErrorCode::not_found, fmt::format("no swarm named '{}'", swarm));
  Context ctx = with_actor(actor);
  auto checked = check(*entry, ctx.clock.now(), ctx);
  // The request itself is audited with its caller, whether or not a target needed the key.
  const detail::AuditFields fields{"sync",
                                   entry->state.name,
                                   entry->state.version > 0 ? std::optional<int>(entry->state.version) : std::nullopt,
                                   entry->state.fingerprint,
                                   {}};
  if (!checked) return fail(detail::audit_failure(ctx, fields, checked.error()));
  KEYD_TRY(detail::audit_success(ctx, fields));
  return entry->state;
}

std::vector<SwarmState> Reconciler::snapshot() const {
  std::vector<SwarmState> out;
  out.reserve(m_entries.size());
  for (const Entry& entry : m_entries) out.push_back(entry.state);
  return out;
}

bool Reconciler::has_swarm(std::string_view name) const {
  return std::ranges::any_of(m_entries, [&](const Entry& e) { return e.state.name == name; });
}

Status Reconciler::check(Entry& entry, TimePoint now, Context& ctx) {
  const LogScope swarm_scope({.swarm = entry.state.name});
  entry.state.last_check = now;
  if (auto st = refresh(entry, now, ctx); !st) return failed(entry, now, st.error());
  if (!m_leader) return succeeded(entry, now);
  // A rotation decided on the version just read writes over that version or not at all (another
  // writer, e.g. a new leader while this tick still ran on lost leadership, makes it a conflict).
  const int decided = entry.state.version;
  if (decided == 0) {
    spdlog::info("swarm {}: no key stored at {}; issuing the first one", entry.state.name, entry.state.path);
    auto issued = rotate_entry(entry, now, ctx, "initial", decided);
    return issued ? Status{} : fail(issued.error());
  }
  if (entry.state.schedule && entry.state.schedule->rotate_now(now)) {
    spdlog::info("swarm {}: version {} is due for rotation (created {}, max age {}h)", entry.state.name,
                 entry.state.version, ports::format_rfc3339(*entry.state.created),
                 std::chrono::duration_cast<std::chrono::hours>(entry.config.policy.max_age).count());
    auto rotated = rotate_entry(entry, now, ctx, "scheduled", decided);
    return rotated ? Status{} : fail(rotated.error());
  }
  if (auto st = deliver(entry, now, ctx); !st) return failed(entry, now, st.error());
  return succeeded(entry, now);
}

Status Reconciler::refresh(Entry& entry, TimePoint now, Context& ctx, const KeyReport* written) {
  SwarmState& state = entry.state;
  auto meta = ctx.store.metadata(entry.config.swarm.path);
  if (!meta && meta.error().code != ErrorCode::not_found) {
    // A damaged path answered: reachable, but never taken for an empty one (no "first" key over it).
    state.store_reachable = meta.error().code == ErrorCode::integrity;
    return fail(integrity_checked(state, meta.error()));
  }
  state.store_reachable = true;
  state.store_integrity_error = false;
  const int current = meta ? meta->current_version : 0;
  if (current == 0) {
    entry.current.reset();
    state.version = 0;
    state.fingerprint.clear();
    state.created.reset();
    state.schedule.reset();
    return {};
  }
  if (!entry.current || entry.current->info.version != current) {
    if (const ports::VersionInfo* info = written_current(*meta, ctx, written)) {
      // This reconciler's own check-and-set write made the current version (see written_current):
      // its key is the one just written, and its result entry is in the audit trail (app::rotate
      // fails when it cannot record it), so there is nothing to read back and nothing to account for.
      const ports::VersionData& data = *written->stored;
      entry.current = ports::StoredVersion{
          .info = *info,
          .data = {data.key_text.clone(), data.fingerprint, data.issued_by, data.reason, data.audit_anchor}};
    } else {
      detail::account_for_versions(ctx, entry.config.swarm);  // a writer may have crashed before auditing it
      auto read = ctx.store.read(entry.config.swarm.path, std::nullopt);
      if (!read) return fail(integrity_checked(state, read.error()));
      if (entry.current) {
        spdlog::info("swarm {}: the store's current version changed from {} to {}", state.name,
                     entry.current->info.version, read->info.version);
      }
      entry.current = std::move(*read);
    }
  }
  const ports::VersionInfo& info = entry.current->info;
  auto created = domain::parse_rfc3339(info.created_time);
  if (!created) {
    return fail(ErrorCode::integrity, fmt::format("{} path {} version {}: {}", ctx.store.describe(), state.path,
                                                  info.version, created.error().message));
  }
  state.version = info.version;
  state.fingerprint = entry.current->data.fingerprint;
  state.created = *created;
  state.schedule = domain::rotation_schedule(*created, entry.config.policy, now);
  return {};
}

Status Reconciler::deliver(Entry& entry, TimePoint now, Context& ctx) {
  const ports::StoredVersion& current = *entry.current;
  // A periodic check audits what it changed, not every target found in sync.
  const detail::DeliveryOptions options{.audit_unchanged = false, .stop_on_audit_failure = false};
  KEYD_ASSIGN_OR_RETURN(auto results,
                        detail::deliver(ctx, entry.config.swarm, current.info.version, current.data, options));
  std::vector<std::string> failures;
  for (std::size_t i = 0; i < results.size() && i < entry.state.targets.size(); ++i) {
    const detail::TargetDelivery& r = results[i];
    TargetState& ts = entry.state.targets[i];
    ts.last_checked = now;
    ++ts.syncs[r.report.outcome];
    if (r.report.outcome == DeliveryOutcome::failed) {
      ts.state = TargetCondition::failed;
      ts.error = r.report.error;
      failures.push_back(ts.error);
      continue;
    }
    ts.error.clear();
    ts.version = current.info.version;
    ts.last_success = now;
    if (r.report.outcome == DeliveryOutcome::unchanged) {
      ts.state = TargetCondition::in_sync;
      continue;
    }
    // The target did not hold the current key: changed by hand, restored from a backup, or the
    // store's version moved behind keyd's back. It was put back; say so.
    ts.state = TargetCondition::repaired;
    spdlog::info("swarm {}: {} did not hold version {} (fingerprint {}); delivered it", entry.state.name, ts.target,
                 current.info.version, current.data.fingerprint);
    if (r.audit_failure) failures.push_back(r.audit_failure->message);
  }
  if (failures.empty()) return {};
  return fail(ErrorCode::unavailable,
              fmt::format("swarm {}: {} of {} targets failed: {}", entry.state.name, failures.size(),
                          entry.config.swarm.targets.size(), failures.front()));
}

Result<KeyReport> Reconciler::rotate_entry(Entry& entry, TimePoint now, Context& ctx, std::string_view reason,
                                           std::optional<int> replaces) {
  // A first key decided on "no version stored" has no earlier versions to account for: the
  // metadata just read listed none, and one written since makes this write a conflict.
  Context writer{ctx.store, ctx.audit, ctx.clock, ctx.actor, ctx.account_versions && replaces != 0};
  auto report = app::rotate(writer, entry.config.swarm, reason, replaces);
  if (!report) {
    if (report.error().code == ErrorCode::conflict) {
      // Another writer (a second daemon, the CLI) made a new version meanwhile: not a failure of
      // this swarm; look again right away, the new version is probably not due.
      ++entry.state.rotations[RotationOutcome::conflict];
      entry.current.reset();
      entry.state.next_check = now + std::chrono::seconds{1};
      spdlog::info("swarm {}: {}", entry.state.name, report.error().message);
      return report;
    }
    ++entry.state.rotations[RotationOutcome::failure];
    (void)failed(entry, now, report.error());
    return report;
  }
  record_targets(entry, *report, now);
  if (auto st = refresh(entry, now, ctx, &*report); !st) {
    ++entry.state.rotations[RotationOutcome::success];
    (void)failed(entry, now, st.error());
    return report;
  }
  if (report->failed_targets() > 0) {
    ++entry.state.rotations[RotationOutcome::delivery_failed];
    (void)failed(entry, now,
                 Error{ErrorCode::unavailable,
                       fmt::format("swarm {}: version {} stored, but {} of {} targets failed", entry.state.name,
                                   report->version, report->failed_targets(), report->targets.size())});
    return report;
  }
  ++entry.state.rotations[RotationOutcome::success];
  (void)succeeded(entry, now);
  return report;
}

void Reconciler::record_targets(Entry& entry, const KeyReport& report, TimePoint now) {
  for (std::size_t i = 0; i < report.targets.size() && i < entry.state.targets.size(); ++i) {
    const TargetReport& r = report.targets[i];
    TargetState& ts = entry.state.targets[i];
    ts.last_checked = now;
    ts.error = r.error;
    ++ts.syncs[r.outcome];
    ts.state = r.outcome == DeliveryOutcome::failed ? TargetCondition::failed : TargetCondition::in_sync;
    if (r.outcome != DeliveryOutcome::failed) {
      ts.version = report.version;
      ts.last_success = now;
    }
  }
}

Status Reconciler::succeeded(Entry& entry, TimePoint now) {
  entry.state.consecutive_failures = 0;
  entry.state.last_error.clear();
  entry.state.next_check = now + stretched(m_options.sync_interval, jitter() * m_options.sync_jitter);
  return {};
}

Status Reconciler::failed(Entry& entry, TimePoint now, const Error& error) {
  SwarmState& state = entry.state;
  ++state.consecutive_failures;
  state.last_error = error.message;
  const auto delay =
      domain::backoff_delay(m_options.failure_backoff, state.consecutive_failures, jitter(), std::nullopt);
  state.next_check = now + delay;
  // A damaged store path needs an operator; anything else may pass on its own.
  spdlog::log(state.store_integrity_error ? spdlog::level::err : spdlog::level::warn,
              "swarm {}: {} (failure {} in a row; next attempt in {}s)", state.name, error.message,
              state.consecutive_failures, std::chrono::duration_cast<std::chrono::seconds>(delay).count());
  return fail(error);
}

Reconciler::Entry* Reconciler::find(std::string_view name) {
  const auto it = std::ranges::find_if(m_entries, [&](const Entry& e) { return e.state.name == name; });
  return it == m_entries.end() ? nullptr : &*it;
}

Context Reconciler::with_actor(std::string_view actor) const {
  return Context{m_ctx.store, m_ctx.audit, m_ctx.clock, std::string(actor)};
}

}  // namespace keyd::app
