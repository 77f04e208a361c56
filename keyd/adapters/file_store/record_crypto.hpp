// Encryption of the file store's records: AES-256-GCM with keys derived from the master key.
//   record file = "KEYDREC1" | nonce (12 bytes, fresh per record) | ciphertext | tag (16 bytes)
//   AAD         = "keyd-file-store/record/v1" NUL <store path> NUL <version in decimal>
// The plaintext is a CBOR map written with nlohmann::json: "swarm.key" (bytes), "fingerprint",
// "issued_by", "reason", "version". Every buffer that holds it is wiped on release.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/ports/secret_store.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace keyd::adapters::detail {

inline constexpr std::size_t k_master_key_size = 32;

// Independent subkeys, so the metadata MAC key never doubles as the record encryption key.
struct StoreKeys {
  Secret record_key;    // AES-256-GCM key for records
  Secret metadata_key;  // HMAC-SHA256 key for the metadata file
};

// HKDF-SHA256 over the 32-byte master key.
[[nodiscard]] Result<StoreKeys> derive_store_keys(const Secret& master_key);

[[nodiscard]] Result<std::vector<std::uint8_t>> seal_record(const Secret& record_key, std::string_view store_path,
                                                            int version, const ports::VersionData& data);

// integrity when the record fails authentication or is malformed; the caller adds the file name.
[[nodiscard]] Result<ports::VersionData> open_record(const Secret& record_key, std::string_view store_path, int version,
                                                     std::span<const std::uint8_t> sealed);

}  // namespace keyd::adapters::detail
