#include "audit_entries.hpp"

#include <fmt/format.h>

namespace keyd::app::detail {

namespace {

ports::AuditEvent make_event(Context& ctx, const AuditFields& f, std::string_view outcome, std::string_view error) {
  ports::AuditEvent e;
  e.time = ports::format_rfc3339(ctx.clock.now());
  e.actor = ctx.actor;
  e.action = f.action;
  e.swarm = f.swarm;
  e.version = f.version;
  e.fingerprint = f.fingerprint;
  e.target = f.target;
  e.outcome = outcome;
  e.error = error;
  return e;
}

}  // namespace

Status audit_success(Context& ctx, const AuditFields& fields) {
  if (auto st = ctx.audit.append(make_event(ctx, fields, "success", {})); !st) {
    return fail(st.error().with_context("audit trail"));
  }
  return {};
}

Result<std::string> audit_intent(Context& ctx, const AuditFields& fields) {
  auto anchor = ctx.audit.append_anchored(make_event(ctx, fields, ports::k_outcome_intent, {}));
  if (!anchor) return fail(anchor.error().with_context("audit trail"));
  if (anchor->seq <= 0 || anchor->hash.empty()) return std::string();
  return fmt::format("{}:{}", anchor->seq, anchor->hash);
}

Error audit_failure(Context& ctx, const AuditFields& fields, Error error) {
  if (auto st = ctx.audit.append(make_event(ctx, fields, "failure", error.message)); !st) {
    error.message += fmt::format(" (and the audit entry could not be written: {})", st.error().message);
  }
  return error;
}

}  // namespace keyd::app::detail
