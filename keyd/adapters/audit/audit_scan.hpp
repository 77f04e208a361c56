// Reading the audit trail back, for the AuditLog port's newest_written_version and records.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/audit_log.hpp"

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace keyd::adapters::detail {

// The version of the last entry (by position) that records a store write of `swarm` as done
// (ports::records_written_version). Reads backwards in 64 KiB chunks and stops at the first match,
// so the cost is the tail written since that swarm's last store write. nullopt when there is none
// or the file does not exist.
[[nodiscard]] Result<std::optional<int>> newest_written_version(const std::filesystem::path& file,
                                                                std::string_view swarm);

// Every valid entry in order, each with its seq and line hash. Torn or invalid lines are skipped
// (verify_audit_file reports them). Empty when the file does not exist.
[[nodiscard]] Result<std::vector<ports::AuditRecord>> read_records(const std::filesystem::path& file);

}  // namespace keyd::adapters::detail
