// The one core of swarm operations: versions written with check-and-set, delivery, catch-up; and
// the sync use case, which is delivery of the current version. See swarm_ops.hpp.
#include "swarm_ops.hpp"

#include "keyd/common/log_fields.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::app::detail {

Result<int> current_version(Context& ctx, const Swarm& swarm) {
  auto meta = ctx.store.metadata(swarm.path);
  if (meta) return meta->current_version;
  if (meta.error().code == ErrorCode::not_found) return 0;
  return fail(meta.error());
}

namespace {

// A failed write may still have been stored when the store never answered, or answered something
// other than a refusal: a timeout, a lost connection or a 5xx (unavailable), an unexpected answer
// (internal), and a conflict, which a retried check-and-set write meets when its first attempt
// landed. Refusals (unauthorized, invalid_input, not_found, ...) mean nothing was stored.
bool may_have_landed(ErrorCode code) {
  return code == ErrorCode::conflict || code == ErrorCode::unavailable || code == ErrorCode::timeout ||
         code == ErrorCode::internal;
}

// Proof that this run's write landed: version expected_current + 1 holds exactly `data` (key,
// fingerprint, issuer, reason). A store without past versions can show it only while it is current.
// A failed read-back is no proof.
bool landed(Context& ctx, const Swarm& swarm, const ports::VersionData& data, int expected_current) {
  const int ours = expected_current + 1;
  const bool by_number = ctx.store.capabilities().past_versions;
  const auto back = ctx.store.read(swarm.path, by_number ? std::optional<int>(ours) : std::nullopt);
  return back && back->info.version == ours && back->data.key_text == data.key_text &&
         back->data.fingerprint == data.fingerprint && back->data.issued_by == data.issued_by &&
         back->data.reason == data.reason;
}

}  // namespace

Result<int> write_version(Context& ctx, const Swarm& swarm, const ports::VersionData& data, int expected_current) {
  auto written = ctx.store.write(swarm.path, data, expected_current);
  if (written) return written;
  if (may_have_landed(written.error().code) && landed(ctx, swarm, data, expected_current)) {
    spdlog::warn("swarm {}: version {} was written: the write landed although its reply was lost ({})", swarm.name,
                 expected_current + 1, written.error().message);
    return expected_current + 1;
  }
  if (written.error().code != ErrorCode::conflict) return written;
  // Without check-and-set the store found the conflict itself, possibly after writing: its message says what happened.
  if (!ctx.store.capabilities().check_and_set) return fail(written.error().with_context("swarm " + swarm.name));
  // Someone else wrote meanwhile: report who won, never overwrite blindly.
  std::string winner = "unknown";
  if (auto now = current_version(ctx, swarm)) winner = std::to_string(*now);
  return fail(ErrorCode::conflict,
              fmt::format("swarm {}: {} path {} changed while keyd was writing (expected current version {}, "
                          "now {}); nothing was written — inspect with 'keyd history' and retry",
                          swarm.name, ctx.store.describe(), swarm.path, expected_current, winner));
}

namespace {

constexpr int k_max_catch_up_rounds = 5;

}  // namespace

Result<std::vector<TargetDelivery>> deliver(Context& ctx, Swarm& swarm, int version, const ports::VersionData& data,
                                            const DeliveryOptions& options) {
  std::vector<TargetDelivery> results;
  results.reserve(swarm.targets.size());
  const ports::Delivery delivery{swarm.name, swarm.path, version, data.fingerprint, data.key_text, options.fresh};
  for (auto& target : swarm.targets) {
    TargetDelivery result{{target->describe(), DeliveryOutcome::unchanged, ""}, std::nullopt, std::nullopt};
    TargetReport& report = result.report;
    const AuditFields fields{"sync", swarm.name, version, data.fingerprint, report.target};
    const LogScope target_scope(
        {.swarm = swarm.name, .version = version, .fingerprint = data.fingerprint, .target = report.target});
    auto applied = target->apply(delivery);
    if (applied) {
      report.outcome = *applied == ports::ApplyOutcome::changed ? DeliveryOutcome::changed : DeliveryOutcome::unchanged;
      spdlog::debug("swarm {}: target {} {} (version {}, fingerprint {})", swarm.name, report.target,
                    to_string(report.outcome), version, data.fingerprint);
      if (report.outcome == DeliveryOutcome::changed || options.audit_unchanged) {
        test_crash_point("before-delivery-audit");
        if (auto st = audit_success(ctx, fields); !st) {
          if (options.stop_on_audit_failure) return fail(st.error());
          result.audit_failure = st.error();
        }
        test_crash_point("after-delivery-audit");
      }
    } else {
      report.outcome = DeliveryOutcome::failed;
      result.failure = audit_failure(ctx, fields, applied.error());
      report.error = result.failure->message;
      spdlog::warn("swarm {}: target {} failed: {}", swarm.name, report.target, report.error);
    }
    results.push_back(std::move(result));
  }
  return results;
}

namespace {

// deliver() as a command reports it: every target audited, an audit failure ends the command.
Result<std::vector<TargetReport>> deliver_reports(Context& ctx, Swarm& swarm, int version,
                                                  const ports::VersionData& data, bool fresh = false) {
  DeliveryOptions options;
  options.fresh = fresh;
  KEYD_ASSIGN_OR_RETURN(auto results, deliver(ctx, swarm, version, data, options));
  std::vector<TargetReport> reports;
  reports.reserve(results.size());
  for (auto& r : results) reports.push_back(std::move(r.report));
  return reports;
}

}  // namespace

Status deliver_until_current(Context& ctx, Swarm& swarm, int version, const ports::VersionData& data,
                             KeyReport& report, bool fresh) {
  KEYD_ASSIGN_OR_RETURN(report.targets, deliver_reports(ctx, swarm, version, data, fresh));
  if (swarm.targets.empty()) return {};
  for (int round = 0; round < k_max_catch_up_rounds; ++round) {
    auto now = current_version(ctx, swarm);
    if (!now || *now == version) return {};  // a failed re-check leaves what was delivered
    auto newer = ctx.store.read(swarm.path, std::nullopt);
    if (!newer) return {};
    report.warnings.push_back(fmt::format("version {} was superseded by version {} during delivery; delivered "
                                          "version {} instead",
                                          version, newer->info.version, newer->info.version));
    spdlog::info("swarm {}: {}", swarm.name, report.warnings.back());
    version = newer->info.version;
    KEYD_ASSIGN_OR_RETURN(report.targets, deliver_reports(ctx, swarm, version, newer->data));
  }
  return {};
}

}  // namespace keyd::app::detail

namespace keyd::app {

Result<KeyReport> sync(Context& ctx, Swarm& swarm) {
  const LogScope swarm_scope({.swarm = swarm.name});
  detail::account_for_versions(ctx, swarm);
  auto current = ctx.store.read(swarm.path, std::nullopt);
  if (!current) {
    return fail(detail::audit_failure(ctx, {"sync", swarm.name, std::nullopt, {}, {}}, current.error()));
  }
  KeyReport report{swarm.name, current->info.version, current->data.fingerprint, current->data.reason, {}, {}, {}, {}};
  KEYD_TRY(detail::deliver_until_current(ctx, swarm, current->info.version, current->data, report));
  return report;
}

}  // namespace keyd::app
