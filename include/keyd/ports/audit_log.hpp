// AuditLog: where every key operation is recorded. Entries never hold key material.
#pragma once

#include "keyd/common/result.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::ports {

struct AuditEvent {
  std::string time;         // RFC 3339 UTC; filled by the use case from the Clock
  std::string actor;        // OS user, later a token identity
  std::string action;       // generate, rotate, fetch, sync, history, import, rollback, inspect
  std::string swarm;        // may be empty (generate)
  std::optional<int> version;
  std::string fingerprint;  // Kubo fingerprint, never the key
  std::string outcome;      // "success" or "failure"
  std::string error;        // failure message (names paths/statuses, never secrets)
  std::string target;       // for sync entries: which target
  std::string detail{};     // recovered entries: what the store says of the version (issued_by, reason)
};

// Where an appended entry sits in the chain: its seq and the SHA-256 (hex) of its line. Stored with
// the version the entry announces, so that a rewritten log no longer matches the store.
struct AuditAnchor {
  std::int64_t seq = 0;
  std::string hash;
};

// One entry read back from the log, with its place in the chain.
struct AuditRecord {
  AuditAnchor anchor;
  AuditEvent event;
};

// Outcomes beside "success" and "failure": "intent" is appended before a store write (rotate,
// import, rollback) with the version it expects to create; a "recovered" action records a kept
// version that the store holds but whose writer never recorded the result (a crash in between).
inline constexpr std::string_view k_outcome_intent = "intent";
inline constexpr std::string_view k_action_recovered = "recovered";

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  [[nodiscard]] virtual Status append(const AuditEvent& event) = 0;

  // append(), returning where the entry sits in the chain. A log that cannot say returns an empty anchor.
  [[nodiscard]] virtual Result<AuditAnchor> append_anchored(const AuditEvent& event) {
    if (auto st = append(event); !st) return fail(st.error());
    return AuditAnchor{};
  }

  // The version of the newest entry (by position) that records a store write of `swarm` as done:
  // outcome "success" of rotate, import or rollback, or a "recovered" entry. nullopt when there is
  // none. Reads the log backwards and stops at the first such entry (the common case reads a tail).
  [[nodiscard]] virtual Result<std::optional<int>> newest_written_version(std::string_view /*swarm*/) {
    return fail(ErrorCode::internal, "this audit log cannot be read back");
  }

  // false: the entries cannot be read back here (they went to a log pipeline): newest_written_version
  // and records fail, and nothing is decided from them (keyd audit verify checks the collected lines).
  [[nodiscard]] virtual bool reads_back() const { return true; }

  // How many times entries were written to the log since this object was made: one write and one
  // fsync each, covering one entry or several concurrent ones (a group commit). 0 when not counted.
  [[nodiscard]] virtual std::uint64_t commits() const { return 0; }

  // Every entry, in order (audit verify --config).
  [[nodiscard]] virtual Result<std::vector<AuditRecord>> records() {
    return fail(ErrorCode::internal, "this audit log cannot be read back");
  }
};

// The actions whose "success" entry records a store write of its version as done.
inline constexpr std::array<std::string_view, 4> k_write_actions{"rotate", "import", "rollback", k_action_recovered};

// Does this entry record a store write of a version as done (see newest_written_version)?
[[nodiscard]] inline bool records_written_version(const AuditEvent& e) {
  return e.version && e.outcome == "success" && std::ranges::find(k_write_actions, e.action) != k_write_actions.end();
}

}  // namespace keyd::ports
