// Every stored version is accounted for in the audit trail: "recovered" entries for versions whose
// writer stopped between the store write and its result entry, and the cross-check behind
// keyd audit verify --config (see include/keyd/app/audit_accounting.hpp).
#include "keyd/app/audit_accounting.hpp"

#include "audit_entries.hpp"
#include "keyd/common/crash_point.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace keyd::app {
namespace detail {
namespace {

bool readable(const ports::SecretStore& store, const ports::PathMetadata& meta, const ports::VersionInfo& info) {
  return !info.deleted && !info.destroyed &&
         (store.capabilities().past_versions || info.version == meta.current_version);
}

ports::AuditEvent recovered_event(Context& ctx, const Swarm& swarm, const ports::PathMetadata& meta,
                                  const ports::VersionInfo& info) {
  ports::AuditEvent e;
  e.time = ports::format_rfc3339(ctx.clock.now());
  e.actor = ctx.actor;
  e.action = ports::k_action_recovered;
  e.swarm = swarm.name;
  e.version = info.version;
  e.outcome = "success";
  if (!readable(ctx.store, meta, info)) {
    e.detail = info.deleted || info.destroyed ? "stored without an audit entry; now deleted in the store"
                                              : "stored without an audit entry; not readable through this store";
    return e;
  }
  auto stored = ctx.store.read(swarm.path, info.version);
  if (!stored) {
    e.detail = "stored without an audit entry; reading it failed: " + stored.error().message;
    return e;
  }
  e.fingerprint = stored->data.fingerprint;
  e.detail = fmt::format("stored without an audit entry; issued_by={} reason={}", stored->data.issued_by,
                         stored->data.reason);
  return e;
}

// The versions of `meta` newer than `newest` (the newest the log records as written), as
// "recovered" entries.
void record_unaudited(Context& ctx, const Swarm& swarm, const ports::PathMetadata& meta, std::optional<int> newest) {
  for (const auto& info : meta.versions) {
    if (newest && info.version <= *newest) continue;
    if (auto st = ctx.audit.append(recovered_event(ctx, swarm, meta, info)); !st) {
      spdlog::warn("swarm {}: cannot record version {} as recovered: {}", swarm.name, info.version,
                   st.error().message);
      return;
    }
    spdlog::warn("swarm {}: version {} is stored but had no audit entry (a keyd stopped between writing and "
                 "recording it, or it was written outside keyd); recorded it as recovered",
                 swarm.name, info.version);
  }
}

// Whether this context accounts for versions at all: the agent leaves it to the writer's keyd, and
// on a store keyd never writes (the read-only daemon backend) the daemon behind it audits them.
bool accounts_for_versions(Context& ctx) { return ctx.account_versions && ctx.store.capabilities().writes; }

}  // namespace

void account_for_versions(Context& ctx, const Swarm& swarm) {
  if (!accounts_for_versions(ctx)) return;
  auto meta = ctx.store.metadata(swarm.path);
  if (!meta) return;  // nothing stored, or an error the command itself reports
  account_for_versions(ctx, swarm, *meta);
}

Result<int> accounted_current_version(Context& ctx, const Swarm& swarm) {
  auto meta = ctx.store.metadata(swarm.path);
  if (!meta) {
    if (meta.error().code == ErrorCode::not_found) return 0;
    return fail(meta.error());
  }
  account_for_versions(ctx, swarm, *meta);
  return meta->current_version;
}

void account_for_versions(Context& ctx, const Swarm& swarm, const ports::PathMetadata& meta) {
  if (!accounts_for_versions(ctx)) return;
  if (meta.versions.empty() || !ctx.audit.reads_back()) return;
  auto newest = ctx.audit.newest_written_version(swarm.name);
  if (!newest) {
    spdlog::warn("swarm {}: cannot read the audit trail to account for stored versions: {}", swarm.name,
                 newest.error().message);
    return;
  }
  record_unaudited(ctx, swarm, meta, *newest);
}

void account_for_versions(Context& ctx, const Swarm& swarm, const ports::StoredVersion& current) {
  if (!accounts_for_versions(ctx) || !ctx.audit.reads_back()) return;
  auto newest = ctx.audit.newest_written_version(swarm.name);
  if (!newest) {
    account_for_versions(ctx, swarm);  // reads the metadata, asks again, and says why it could not
    return;
  }
  if (*newest && current.info.version <= **newest) return;
  auto meta = ctx.store.metadata(swarm.path);
  if (!meta || meta->versions.empty()) return;
  record_unaudited(ctx, swarm, *meta, *newest);
}

void test_crash_point(std::string_view point) { keyd::test_crash_point(point); }

}  // namespace detail

namespace {

struct Anchor {
  std::int64_t seq = 0;
  std::string hash;
};

std::optional<Anchor> parse_anchor(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  Anchor a;
  for (const char c : text.substr(0, colon)) {
    if (c < '0' || c > '9' || a.seq > (std::int64_t{1} << 50)) return std::nullopt;
    a.seq = a.seq * 10 + (c - '0');
  }
  a.hash = std::string(text.substr(colon + 1));
  return a;
}

// Empty when the entry anchored by `data` is in the log, unchanged, and announced this version.
std::string anchor_problem(const std::map<std::int64_t, const ports::AuditRecord*>& by_seq, const SwarmPath& swarm,
                           const ports::VersionData& data) {
  const auto anchor = parse_anchor(data.audit_anchor);
  if (!anchor) return fmt::format("its audit anchor '{}' is malformed", data.audit_anchor);
  const auto found = by_seq.find(anchor->seq);
  if (found == by_seq.end()) {
    return fmt::format("the audit entry it is anchored to (seq {}) is missing: entries were removed or the log was "
                       "truncated",
                       anchor->seq);
  }
  const ports::AuditRecord& record = *found->second;
  if (record.anchor.hash != anchor->hash) {
    return fmt::format("the audit entry at seq {} is not the one anchored in the store (its hash differs): the log "
                       "was rewritten before or at seq {}",
                       anchor->seq, anchor->seq);
  }
  if (record.event.outcome != ports::k_outcome_intent || record.event.swarm != swarm.name ||
      record.event.fingerprint != data.fingerprint) {
    return fmt::format("the audit entry at seq {} does not announce this version (action {}, swarm {}, outcome {})",
                       anchor->seq, record.event.action, record.event.swarm, record.event.outcome);
  }
  return {};
}

// What the log says: each entry by seq, and which (swarm, version) it records as written.
struct LogIndex {
  std::map<std::int64_t, const ports::AuditRecord*> by_seq;
  std::set<std::pair<std::string, int>, std::less<>> written;
};

Status check_swarm(ports::SecretStore& store, const LogIndex& log, const SwarmPath& swarm, AccountingReport& report) {
  auto meta = store.metadata(swarm.path);
  if (!meta) return meta.error().code == ErrorCode::not_found ? Status{} : fail(meta.error());
  ++report.swarms;
  for (const auto& info : meta->versions) {
    ++report.versions;
    const auto where = fmt::format("swarm {} version {}", swarm.name, info.version);
    if (!log.written.contains(std::pair{swarm.name, info.version})) {
      report.problems.push_back(where + ": no audit entry records it as written (no rotate, import or rollback "
                                        "success and no recovered entry)");
    }
    const bool can_read = !info.deleted && !info.destroyed &&
                          (store.capabilities().past_versions || info.version == meta->current_version);
    if (!can_read) continue;
    auto stored = store.read(swarm.path, info.version);
    if (!stored) {
      report.problems.push_back(where + ": cannot be read to check its audit anchor: " + stored.error().message);
      continue;
    }
    if (stored->data.audit_anchor.empty()) continue;  // written before keyd anchored the log
    if (auto problem = anchor_problem(log.by_seq, swarm, stored->data); !problem.empty()) {
      report.problems.push_back(where + ": " + problem);
    } else {
      ++report.anchored;
    }
  }
  return {};
}

}  // namespace

Result<AccountingReport> check_audit_accounting(ports::SecretStore& store, ports::AuditLog& audit,
                                                const std::vector<SwarmPath>& swarms) {
  KEYD_ASSIGN_OR_RETURN(const auto records, audit.records());
  return check_audit_accounting(store, records, swarms);
}

Result<AccountingReport> check_audit_accounting(ports::SecretStore& store, const std::vector<ports::AuditRecord>& records,
                                                const std::vector<SwarmPath>& swarms) {
  LogIndex log;
  for (const auto& r : records) {
    log.by_seq.emplace(r.anchor.seq, &r);
    if (ports::records_written_version(r.event)) log.written.emplace(r.event.swarm, *r.event.version);
  }
  AccountingReport report;
  for (const auto& swarm : swarms) KEYD_TRY(check_swarm(store, log, swarm, report));
  return report;
}

}  // namespace keyd::app
