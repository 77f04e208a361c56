// Use cases that read the store: fetch, history; and the generate audit entry.
#include "audit_entries.hpp"

#include <spdlog/spdlog.h>

namespace keyd::app {

Result<ports::StoredVersion> fetch(Context& ctx, const Swarm& swarm, std::optional<int> version) {
  detail::AuditFields fields{"fetch", swarm.name, version, {}, {}};
  auto stored = ctx.store.read(swarm.path, version);
  // Accounted for before the fetch's own entry. The current version just read bounds what can be
  // unaccounted; a past version, or a failed read (a deleted current version, an error), says
  // nothing of the current one, so the version list is read.
  if (stored && !version) {
    detail::account_for_versions(ctx, swarm, *stored);
  } else {
    detail::account_for_versions(ctx, swarm);
  }
  if (!stored) return fail(detail::audit_failure(ctx, fields, stored.error()));
  fields.version = stored->info.version;
  fields.fingerprint = stored->data.fingerprint;
  KEYD_TRY(detail::audit_success(ctx, fields));
  spdlog::debug("swarm {}: fetched version {} (fingerprint {})", swarm.name, stored->info.version,
                stored->data.fingerprint);
  return stored;
}

Result<std::vector<HistoryEntry>> history(Context& ctx, const Swarm& swarm) {
  detail::account_for_versions(ctx, swarm);
  const detail::AuditFields fields{"history", swarm.name, std::nullopt, {}, {}};
  auto meta = ctx.store.metadata(swarm.path);
  if (!meta) return fail(detail::audit_failure(ctx, fields, meta.error()));
  std::vector<HistoryEntry> entries;
  entries.reserve(meta->versions.size());
  for (const auto& info : meta->versions) {
    HistoryEntry entry{info.version, {}, info.created_time, {}, {}, info.deleted, info.destroyed, false, {}};
    if (!ctx.store.capabilities().past_versions && info.version != meta->current_version) {
      entry.unreadable = !info.deleted && !info.destroyed;
    } else if (!info.deleted && !info.destroyed) {
      auto stored = ctx.store.read(swarm.path, info.version);
      if (!stored && stored.error().code == ErrorCode::integrity) {
        entry.unreadable = true;
        entry.unreadable_reason = stored.error().message;
        entries.push_back(std::move(entry));
        continue;
      }
      if (!stored) return fail(detail::audit_failure(ctx, fields, stored.error()));
      entry.fingerprint = stored->data.fingerprint;
      entry.issued_by = stored->data.issued_by;
      entry.reason = stored->data.reason;
    }
    entries.push_back(std::move(entry));
  }
  KEYD_TRY(detail::audit_success(ctx, fields));
  return entries;
}

Status audit_generate(ports::AuditLog& audit, const ports::Clock& clock, std::string_view actor,
                      std::string_view fingerprint, std::string_view destination) {
  ports::AuditEvent e;
  e.time = ports::format_rfc3339(clock.now());
  e.actor = actor;
  e.action = "generate";
  e.fingerprint = fingerprint;
  e.target = destination;
  e.outcome = "success";
  if (auto st = audit.append(e); !st) return fail(st.error().with_context("audit trail"));
  return {};
}

}  // namespace keyd::app
