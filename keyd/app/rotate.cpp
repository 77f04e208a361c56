// Use cases that write a new version: rotate, import, rollback.
#include "swarm_ops.hpp"
#include "keyd/common/log_fields.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::app {

std::string_view to_string(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::changed:
      return "changed";
    case DeliveryOutcome::unchanged:
      return "unchanged";
    case DeliveryOutcome::failed:
      return "failed";
  }
  return "unknown";
}

std::size_t KeyReport::failed_targets() const {
  std::size_t n = 0;
  for (const auto& t : targets) n += t.outcome == DeliveryOutcome::failed ? 1U : 0U;
  return n;
}

namespace {

ports::VersionData clone(const ports::VersionData& d) {
  return ports::VersionData{d.key_text.clone(), d.fingerprint, d.issued_by, d.reason, d.audit_anchor};
}

// Store `key` as a new version after `expected_current`, audit it as `action`, then deliver.
Result<KeyReport> store_and_deliver(Context& ctx, Swarm& swarm, const domain::SwarmKey& key, int expected_current,
                                    std::string_view action, std::string_view reason) {
  const LogScope swarm_scope({.swarm = swarm.name});
  ports::VersionData data{key.canonical_text(), key.fingerprint().hex(), ctx.actor, std::string(reason), {}};
  // Intent before the write, result after: a crash in between leaves an intent whose version the
  // next command records as recovered. The intent's place in the chain is stored with the version.
  detail::AuditFields fields{action, swarm.name, expected_current + 1, data.fingerprint, {}};
  detail::test_crash_point("before-intent");
  KEYD_ASSIGN_OR_RETURN(data.audit_anchor, detail::audit_intent(ctx, fields));
  detail::test_crash_point("after-intent");
  fields.version = std::nullopt;
  auto version = detail::write_version(ctx, swarm, data, expected_current);
  if (!version) return fail(detail::audit_failure(ctx, fields, version.error()));
  detail::test_crash_point("after-store-write");
  fields.version = *version;
  const LogScope version_scope({.version = *version, .fingerprint = data.fingerprint});
  KEYD_TRY(detail::audit_success(ctx, fields));
  detail::test_crash_point("after-result");
  spdlog::info("swarm {}: stored version {} (fingerprint {}, reason {})", swarm.name, *version, data.fingerprint,
               reason);

  KeyReport report{swarm.name, *version, data.fingerprint, std::string(reason), {}, {}, {}, {}};
  report.stored = std::make_shared<const ports::VersionData>(clone(data));
  KEYD_TRY(detail::deliver_until_current(ctx, swarm, *version, data, report, /*fresh=*/true));
  return report;
}

}  // namespace

namespace {

// A new version is on its way: the targets' read-only checks (the kubernetes target's permission
// review and workload reads) run beside the store's work instead of after it. Their errors come
// back from apply(), where they always did.
void prepare_targets(Swarm& swarm) {
  for (auto& target : swarm.targets) target->prepare();
}

// Did a target that wants a rollback on failure fail?
bool wants_rollback(const Swarm& swarm, const KeyReport& report) {
  for (std::size_t i = 0; i < report.targets.size() && i < swarm.targets.size(); ++i) {
    if (report.targets[i].outcome == DeliveryOutcome::failed && swarm.targets[i]->rollback_on_failure()) return true;
  }
  return false;
}

}  // namespace

Result<KeyReport> rotate(Context& ctx, Swarm& swarm, std::string_view reason, std::optional<int> replaces) {
  const LogScope swarm_scope({.swarm = swarm.name});
  prepare_targets(swarm);
  if (replaces) detail::account_for_versions(ctx, swarm);
  const detail::AuditFields fields{"rotate", swarm.name, std::nullopt, {}, {}};
  auto current = replaces ? Result<int>(*replaces) : detail::accounted_current_version(ctx, swarm);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  auto key = domain::generate_swarm_key();
  if (!key) return fail(detail::audit_failure(ctx, fields, key.error()));
  auto report = store_and_deliver(ctx, swarm, *key, *current, "rotate", reason);
  if (!report || !wants_rollback(swarm, *report)) return report;

  if (*current == 0) {
    report->warnings.push_back("a target failed, but there is no previous key to roll back to");
    return report;
  }
  spdlog::warn("swarm {}: delivery of version {} failed; putting the key of version {} back", swarm.name,
               report->version, *current);
  auto back = rollback(ctx, swarm, *current);
  if (!back) {
    report->warnings.push_back(fmt::format("rolling back to the key of version {} failed: {}", *current,
                                           back.error().message));
    return report;
  }
  report->warnings.push_back(fmt::format("rolled back: the key of version {} is current again as version {}",
                                         *current, back->version));
  report->rollback = std::make_shared<const KeyReport>(std::move(*back));
  return report;
}

Result<KeyReport> import_key(Context& ctx, Swarm& swarm, const Secret& key_file) {
  const LogScope swarm_scope({.swarm = swarm.name});
  const detail::AuditFields fields{"import", swarm.name, std::nullopt, {}, {}};
  auto parsed = domain::parse_and_validate(key_file);
  if (!parsed) return fail(detail::audit_failure(ctx, fields, parsed.error().with_context("import")));
  prepare_targets(swarm);
  auto current = detail::accounted_current_version(ctx, swarm);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  auto report = store_and_deliver(ctx, swarm, parsed->key, *current, "import", "import");
  if (report) report->warnings.insert(report->warnings.begin(), parsed->warnings.begin(), parsed->warnings.end());
  return report;
}

Result<KeyReport> rollback(Context& ctx, Swarm& swarm, int to_version) {
  const LogScope swarm_scope({.swarm = swarm.name});
  detail::AuditFields fields{"rollback", swarm.name, to_version, {}, {}};
  prepare_targets(swarm);
  auto current = detail::accounted_current_version(ctx, swarm);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  auto old = ctx.store.read(swarm.path, to_version);
  if (!old) return fail(detail::audit_failure(ctx, fields, old.error()));
  // Re-validate what the store returned before putting it back into service.
  auto parsed = domain::parse_and_validate(old->data.key_text);
  if (!parsed) {
    return fail(detail::audit_failure(
        ctx, fields, parsed.error().with_context(fmt::format("stored version {} of {}", to_version, swarm.path))));
  }
  if (parsed->key.fingerprint().hex() != old->data.fingerprint) {
    return fail(detail::audit_failure(
        ctx, fields,
        Error{ErrorCode::integrity, fmt::format("stored version {} of {}: recorded fingerprint does not match its key",
                                                to_version, swarm.path)}));
  }
  return store_and_deliver(ctx, swarm, parsed->key, *current, "rollback", "rollback");
}

}  // namespace keyd::app
