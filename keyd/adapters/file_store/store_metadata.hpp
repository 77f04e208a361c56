// The file store's per-path metadata file: readable JSON authenticated with HMAC-SHA256 under a
// key derived from the master key, so a hand edit (current_version, the versions list, the path
// it belongs to) is detected.
//   {"format":"keyd-file-store/v1","path":…,"current_version":…,"oldest_version":…,
//    "max_versions":…,"created_time":…,"updated_time":…,
//    "versions":[{"version":N,"created_time":…},…],"mac":"hmac-sha256:<hex>"}
// The MAC covers the compact, key-sorted dump of every other member.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/ports/secret_store.hpp"

#include <string>
#include <string_view>

namespace keyd::adapters::detail {

[[nodiscard]] Result<std::string> serialise_metadata(const Secret& metadata_key, std::string_view store_path,
                                                     const ports::PathMetadata& meta);

struct ParsedMetadata {
  ports::PathMetadata meta;
  bool authentic = false;  // MAC verified, written for this store path, and internally consistent
};

// integrity when the text is not metadata at all. An unauthentic file still parses (authentic =
// false) so the caller can decide which failure to report first; never trust `meta` unless authentic.
[[nodiscard]] Result<ParsedMetadata> parse_metadata(const Secret& metadata_key, std::string_view store_path,
                                                    std::string_view text);

// The kept version entry for `version`, or nullptr.
[[nodiscard]] const ports::VersionInfo* find_version(const ports::PathMetadata& meta, int version);

}  // namespace keyd::adapters::detail
