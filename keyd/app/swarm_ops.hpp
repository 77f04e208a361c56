// The one core of swarm operations, shared by every flow that puts a key in place: the CLI's
// commands (rotate, sync, import, rollback), the daemon's Reconciler and keyd agent.
//
//   write_version()          a new version with check-and-set against the version it replaces;
//   deliver()                one version to every target of a swarm, typed outcome per target, audited;
//   deliver_until_current()  deliver(), then catch up while a newer version became current meanwhile.
//
// Internal to keyd_app (the use cases in use_cases.hpp, daemon.hpp and agent.hpp are the API).
#pragma once

#include "audit_entries.hpp"
#include "keyd/app/use_cases.hpp"

#include <optional>
#include <vector>

namespace keyd::app::detail {

// current_version of the path, 0 when it was never written.
[[nodiscard]] Result<int> current_version(Context& ctx, const Swarm& swarm);

// Write `data` as a new version with check-and-set against `expected_current`, mapping a
// conflict to a message that names the winning version. Returns the new version number. After an
// ambiguous failure (timeout, unavailable, internal, conflict) it reads version expected_current + 1
// back: when that holds exactly `data`, the write landed although its reply was lost, and it is
// reported as written (with a warning in the log).
[[nodiscard]] Result<int> write_version(Context& ctx, const Swarm& swarm, const ports::VersionData& data,
                                        int expected_current);

struct DeliveryOptions {
  // Audit a delivery that found the target already holding the key. A command is an operator's act
  // and audits every target; the daemon's periodic checks and the agent audit only what changed.
  bool audit_unchanged = true;
  // An audit entry that cannot be written ends the delivery with that error (an unaudited key
  // operation must not look successful). false: it is kept in the target's result and delivery goes
  // on, for callers that report it themselves (the daemon counts it as the swarm's failure; the
  // agent still owes the consumer its on-change action).
  bool stop_on_audit_failure = true;
  // The version was written by this run just now (ports::Delivery::fresh).
  bool fresh = false;
};

// What delivering to one target did, with the errors as errors (their codes decide exit codes and retries).
struct TargetDelivery {
  TargetReport report;
  std::optional<Error> failure;        // the target's own error, when report.outcome is failed
  std::optional<Error> audit_failure;  // the entry for this delivery could not be written
};

// Deliver `version` (holding `data`) to every target of the swarm, in order, each audited as "sync"
// with the target's description. A target's failure is its result, not an error; the error is an
// audit entry that could not be written (see DeliveryOptions::stop_on_audit_failure).
[[nodiscard]] Result<std::vector<TargetDelivery>> deliver(Context& ctx, Swarm& swarm, int version,
                                                          const ports::VersionData& data,
                                                          const DeliveryOptions& options = {});

// deliver() into report.targets. Then re-read the store: if another writer made a newer version
// current meanwhile (whose own delivery may have landed before ours), deliver that one too, so
// targets never end on a stale key. Bounded; each round adds a warning to the report.
// `fresh`: this run has just written `version` (catch-up rounds never are).
[[nodiscard]] Status deliver_until_current(Context& ctx, Swarm& swarm, int version, const ports::VersionData& data,
                                           KeyReport& report, bool fresh = false);

}  // namespace keyd::app::detail
