// Cross-checking the store against the audit trail (keyd audit verify --config): every kept
// version must have an entry that records it as written, and every version that carries an audit
// anchor must find, at that seq, the very entry (same line hash) that announced it.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/audit_log.hpp"
#include "keyd/ports/secret_store.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace keyd::app {

struct SwarmPath {
  std::string name;
  std::string path;  // store path
};

struct AccountingReport {
  std::size_t swarms = 0;
  std::size_t versions = 0;           // kept versions checked
  std::size_t anchored = 0;           // of which carried an audit anchor that matched
  std::vector<std::string> problems;  // each names the swarm, the version and, for anchors, the seq
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

// Reads the whole log (AuditLog::records) and each swarm's kept versions. A swarm never written is
// skipped. Store errors other than not_found fail the check.
[[nodiscard]] Result<AccountingReport> check_audit_accounting(ports::SecretStore& store, ports::AuditLog& audit,
                                                              const std::vector<SwarmPath>& swarms);
// The same against entries read elsewhere (the lines of audit.sink stdout, collected from a log pipeline).
[[nodiscard]] Result<AccountingReport> check_audit_accounting(ports::SecretStore& store,
                                                              const std::vector<ports::AuditRecord>& records,
                                                              const std::vector<SwarmPath>& swarms);

}  // namespace keyd::app
