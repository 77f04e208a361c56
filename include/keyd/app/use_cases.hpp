// Use cases: what keyd does, written against the ports only. The CLI (and later the daemon) wires
// concrete adapters into a Context and calls these.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/ports/audit_log.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/secret_store.hpp"
#include "keyd/ports/target.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::app {

struct Context {
  ports::SecretStore& store;
  ports::AuditLog& audit;
  const ports::Clock& clock;
  std::string actor;  // who is acting: OS user now, a token identity later
  // Record kept versions the audit trail lacks as "recovered" before working on a swarm. keyd agent
  // turns it off: its log is node-local and the versions it reads are audited by the keyd that wrote them.
  bool account_versions = true;
};

// A configured swarm with its targets, built by the wiring from the config.
struct Swarm {
  std::string name;
  std::string path;  // store path, e.g. ipfs-overlay/swarm-key
  std::vector<std::unique_ptr<ports::Target>> targets;
};

// What delivering one version to one target did.
// Alphabetical, so that maps keyed by it list outcomes as their names sort.
enum class DeliveryOutcome { changed, failed, unchanged };
[[nodiscard]] std::string_view to_string(DeliveryOutcome outcome);

struct TargetReport {
  std::string target;  // Target::describe()
  DeliveryOutcome outcome = DeliveryOutcome::unchanged;
  std::string error;  // when failed
};

// The result of any operation that puts a version in place: rotate, sync, import, rollback.
struct KeyReport {
  std::string swarm;
  int version = 0;
  std::string fingerprint;
  std::string reason;                 // the stored version's reason
  std::vector<std::string> warnings;  // e.g. import of a non-canonical key
  std::vector<TargetReport> targets;
  // Set when a target that asks for it (rollback_on_failure) failed after a rotation and the
  // previous key was put back as a new version and delivered again.
  std::shared_ptr<const KeyReport> rollback;
  // What was stored as `version` (holds the key: never serialised, logged or sent). The daemon keeps
  // it as the current version instead of reading back what it has just written.
  std::shared_ptr<const ports::VersionData> stored;
  [[nodiscard]] std::size_t failed_targets() const;
};

struct HistoryEntry {
  int version = 0;
  std::string fingerprint;  // empty when the version is deleted or destroyed
  std::string created_time;
  std::string issued_by;
  std::string reason;
  bool deleted = false;
  bool destroyed = false;
  bool unreadable = false;  // a past version the store cannot read (poly-secret-mcp): only its time is known
  // Why a version that should be readable is not (a tampered or missing record): it is listed as
  // unreadable with this reason instead of failing the whole history.
  std::string unreadable_reason;
};

// A new random key as version current+1 (check-and-set), then delivered to every target.
// A store conflict (someone else rotated meanwhile) writes nothing and says which version won.
// If a target whose rollback_on_failure() is true fails, the previous version's key is
// re-promoted as a new version (reason "rollback") and delivered, so the swarm is not left split;
// the report's `rollback` says how that went (the rotation itself still counts as failed).
// `replaces`: the version the rotation was decided on (the daemon's schedule, its first key: 0). The
// new version is written with check-and-set against it, so when another writer moved the store on
// since the decision, nothing is written and the result is conflict: one decision never makes two
// versions. Without it, the version current when rotate reads the store is replaced.
[[nodiscard]] Result<KeyReport> rotate(Context& ctx, Swarm& swarm, std::string_view reason = "rotate",
                                       std::optional<int> replaces = std::nullopt);

// Deliver the current stored version to every target (no store write).
[[nodiscard]] Result<KeyReport> sync(Context& ctx, Swarm& swarm);

// Read the current version or a given one. Audited as "fetch".
[[nodiscard]] Result<ports::StoredVersion> fetch(Context& ctx, const Swarm& swarm, std::optional<int> version);

// All versions still kept, oldest first. Audited as "history". A version whose record fails its
// integrity check is listed as unreadable with the reason; any other read failure fails the call.
[[nodiscard]] Result<std::vector<HistoryEntry>> history(Context& ctx, const Swarm& swarm);

// Adopt an existing key file (validated: go-libp2p grammar, not weak) as a new version, reason
// "import", stored in canonical form, then delivered.
[[nodiscard]] Result<KeyReport> import_key(Context& ctx, Swarm& swarm, const Secret& key_file);

// Re-promote version `to_version` as a new version, reason "rollback", then delivered.
[[nodiscard]] Result<KeyReport> rollback(Context& ctx, Swarm& swarm, int to_version);

// Record a generate (no store involved) in the audit trail.
[[nodiscard]] Status audit_generate(ports::AuditLog& audit, const ports::Clock& clock, std::string_view actor,
                                    std::string_view fingerprint, std::string_view destination);

}  // namespace keyd::app
