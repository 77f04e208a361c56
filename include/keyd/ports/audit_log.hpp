// AuditLog: where every key operation is recorded. Entries never hold key material.
#pragma once

#include "keyd/common/result.hpp"

#include <optional>
#include <string>

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
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  [[nodiscard]] virtual Status append(const AuditEvent& event) = 0;
};

}  // namespace keyd::ports
