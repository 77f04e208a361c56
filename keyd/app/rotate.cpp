// Use cases that write a new version: rotate, import, rollback.
#include "audit_record.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::app {

std::size_t KeyReport::failed_targets() const {
  std::size_t n = 0;
  for (const auto& t : targets) n += t.outcome == "failed" ? 1U : 0U;
  return n;
}

namespace {

// Store `key` as a new version after `expected_current`, audit it as `action`, then deliver.
Result<KeyReport> store_and_deliver(Context& ctx, Swarm& swarm, const domain::SwarmKey& key, int expected_current,
                                    std::string_view action, std::string_view reason) {
  ports::VersionData data{key.canonical_text(), key.fingerprint().hex(), ctx.actor, std::string(reason)};
  detail::AuditFields fields{action, swarm.name, std::nullopt, data.fingerprint, {}};
  auto version = detail::write_version(ctx, swarm, data, expected_current);
  if (!version) return fail(detail::audit_failure(ctx, fields, version.error()));
  fields.version = *version;
  KEYD_TRY(detail::audit_success(ctx, fields));
  spdlog::info("swarm {}: stored version {} (fingerprint {}, reason {})", swarm.name, *version, data.fingerprint,
               reason);

  KeyReport report{swarm.name, *version, data.fingerprint, std::string(reason), {}, {}};
  KEYD_TRY(detail::deliver_until_current(ctx, swarm, *version, data, report));
  return report;
}

}  // namespace

Result<KeyReport> rotate(Context& ctx, Swarm& swarm, std::string_view reason) {
  const detail::AuditFields fields{"rotate", swarm.name, std::nullopt, {}, {}};
  auto current = detail::current_version(ctx, swarm);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  auto key = domain::generate_swarm_key();
  if (!key) return fail(detail::audit_failure(ctx, fields, key.error()));
  return store_and_deliver(ctx, swarm, *key, *current, "rotate", reason);
}

Result<KeyReport> import_key(Context& ctx, Swarm& swarm, const Secret& key_file) {
  const detail::AuditFields fields{"import", swarm.name, std::nullopt, {}, {}};
  auto parsed = domain::parse_and_validate(key_file);
  if (!parsed) return fail(detail::audit_failure(ctx, fields, parsed.error().with_context("import")));
  auto current = detail::current_version(ctx, swarm);
  if (!current) return fail(detail::audit_failure(ctx, fields, current.error()));
  auto report = store_and_deliver(ctx, swarm, parsed->key, *current, "import", "import");
  if (report) report->warnings.insert(report->warnings.begin(), parsed->warnings.begin(), parsed->warnings.end());
  return report;
}

Result<KeyReport> rollback(Context& ctx, Swarm& swarm, int to_version) {
  detail::AuditFields fields{"rollback", swarm.name, to_version, {}, {}};
  auto current = detail::current_version(ctx, swarm);
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
