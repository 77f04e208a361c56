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

// Append an "intent" entry before a store write (fields.version: the version it expects to create)
// and return its anchor as stored with the version ("<seq>:<hash>", empty when the log cannot anchor).
// A failed append fails the operation before anything is written.
[[nodiscard]] Result<std::string> audit_intent(Context& ctx, const AuditFields& fields);

// Record, as "recovered" entries, the swarm's kept versions newer than the newest version the log
// records as written (a writer that crashed between its store write and its result entry), with
// the fingerprint, issuer and reason the store holds. Costs a metadata call and a backward read of
// the log's tail. Problems are logged, never fatal: the command's own audit entries report a broken log.
void account_for_versions(Context& ctx, const Swarm& swarm);

// Test hook: when the environment variable KEYD_TEST_CRASH_AT names `point` ("after-intent",
// "after-store-write", "after-result"), the process kills itself with SIGKILL there, so tests can
// crash the real binary at a deterministic step of a store write. Not meant for production use.
void test_crash_point(std::string_view point);

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
