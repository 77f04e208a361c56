// The audit entries every use case writes: intent before a store write, success or failure after,
// "recovered" for versions a crashed writer left unaudited. Internal to keyd_app.
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
// The same from a metadata read the caller already made.
void account_for_versions(Context& ctx, const Swarm& swarm, const ports::PathMetadata& meta);
// The same after the caller read the current version: no version is newer than that one, so when
// the log records it (or a later one) as written there is nothing to add and the metadata is not
// read. What `keyd fetch` needs.
void account_for_versions(Context& ctx, const Swarm& swarm, const ports::StoredVersion& current);
// One metadata read for both: account for versions as above, and return the current version (0
// when the path was never written). What a writing command needs before its check-and-set write.
[[nodiscard]] Result<int> accounted_current_version(Context& ctx, const Swarm& swarm);

// Test hook (keyd/common/crash_point.hpp): when the environment variable KEYD_TEST_CRASH_AT names
// `point` ("before-intent", "after-intent", "after-store-write", "after-result", ...), the process
// kills itself with SIGKILL there, so tests can crash the real binary at a deterministic step of a
// rotation. Not meant for production use.
void test_crash_point(std::string_view point);

// Append a failure entry for `error` and return it (with the audit failure added if that failed too).
[[nodiscard]] Error audit_failure(Context& ctx, const AuditFields& fields, Error error);

}  // namespace keyd::app::detail
