// StoreRepair: the deliberate recovery of a store path whose metadata is gone (the file store's
// `_metadata.json` deleted, or lost in a crash of the very first write). Offered by stores that
// keep self-authenticating version records beside their metadata; never called implicitly.
#pragma once

#include "keyd/common/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace keyd::ports {

struct RepairedVersion {
  int version = 0;
  std::string created_time;  // RFC 3339, UTC; see RepairReport::created_time_source
};

struct SkippedRecord {
  std::string file;    // the record left in place
  std::string reason;  // why it was not taken (e.g. authentication failed)
};

struct RepairReport {
  std::string location;                    // what was rebuilt, e.g. the path's directory
  std::vector<RepairedVersion> recovered;  // ascending
  int current_version = 0;
  std::vector<SkippedRecord> skipped;
  std::string created_time_source;  // how created_time was chosen, in words
};

class StoreRepair {
 public:
  virtual ~StoreRepair() = default;

  // Rebuild the metadata of `path` from the records that verify, deleting nothing. not_found when
  // the path holds no records; conflict when its metadata exists (nothing to repair); integrity
  // when no record verifies; invalid_config without the key the records were written with.
  [[nodiscard]] virtual Result<RepairReport> repair(std::string_view path) = 0;
};

}  // namespace keyd::ports
