#include "keyd/app/repair.hpp"

#include "audit_entries.hpp"

#include <spdlog/spdlog.h>

namespace keyd::app {

Result<ports::RepairReport> repair_store(Context& ctx, const Swarm& swarm, ports::StoreRepair& repair) {
  detail::AuditFields fields{"repair", swarm.name, std::nullopt, {}, {}};
  auto report = repair.repair(swarm.path);
  if (!report) return fail(detail::audit_failure(ctx, fields, report.error()));
  fields.version = report->current_version;
  auto current = ctx.store.read(swarm.path, std::nullopt);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  fields.fingerprint = current->data.fingerprint;
  KEYD_TRY(detail::audit_success(ctx, fields));
  spdlog::info(
      "swarm {}: rebuilt the store metadata of {}: {} version(s) recovered, current version {}, {} "
      "record(s) skipped",
      swarm.name, report->location, report->recovered.size(), report->current_version, report->skipped.size());
  return report;
}

}  // namespace keyd::app
