// Internal helpers shared by the use cases: audit entries and store-path messages.
#pragma once

#include "keyd/app/use_cases.hpp"

#include <optional>
#include <string_view>

namespace keyd::app::detail {

struct AuditFields {
  std::string_view action;
  std::string_view swarm;
  std::optional<int> version;
  std::string_view fingerprint;
  std::string_view target;
};

// Append a success entry. An audit failure fails the operation: an unaudited key operation is
// not allowed to look successful.
[[nodiscard]] Status audit_success(Context& ctx, const AuditFields& fields);

// Append a failure entry for `error` and return it (with the audit failure added if that failed too).
[[nodiscard]] Error audit_failure(Context& ctx, const AuditFields& fields, Error error);

// Write `data` as a new version with check-and-set against `expected_current`, mapping a
// conflict to a message that names the winning version. Returns the new version number. After an
// ambiguous failure (timeout, unavailable, internal, conflict) it reads version expected_current + 1
// back: when that holds exactly `data`, the write landed although its reply was lost, and it is
// reported as written (with a warning in the log).
[[nodiscard]] Result<int> write_version(Context& ctx, const Swarm& swarm, const ports::VersionData& data,
                                        int expected_current);

// Push version `version` to every target, auditing one "sync" entry per target, into
// report.targets. Then re-read the store: if another writer made a newer version current
// meanwhile (whose own delivery may have landed before ours), deliver that one too, so targets
// never end on a stale key. Bounded; each round adds a warning to the report.
[[nodiscard]] Status deliver_until_current(Context& ctx, Swarm& swarm, int version, const ports::VersionData& data,
                                           KeyReport& report);

// current_version of the path, 0 when it was never written.
[[nodiscard]] Result<int> current_version(Context& ctx, const Swarm& swarm);

}  // namespace keyd::app::detail
