// Append-only, hash-chained JSON-lines audit log. Each line carries "prev": the SHA-256 (hex) of
// the previous line's bytes (64 zeros for the first), so any edit, removal or reordering breaks
// the chain at a line verify_audit_file can name.
#pragma once

#include "keyd/ports/audit_log.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace keyd::adapters {

[[nodiscard]] std::unique_ptr<ports::AuditLog> make_audit_file(std::filesystem::path file);

struct AuditVerifyReport {
  std::size_t entries = 0;  // lines checked
  bool ok = true;
  std::size_t first_bad_line = 0;  // 1-based; 0 when ok
  std::string problem;             // what is wrong at that line
};

// not_found when the file does not exist; io on read errors. A broken chain is a report, not an error.
[[nodiscard]] Result<AuditVerifyReport> verify_audit_file(const std::filesystem::path& file);

}  // namespace keyd::adapters
