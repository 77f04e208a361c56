// SHA-256: keyd's one home for digests (the audit chain's links, bearer-token lookups, the tokens
// file). OpenSSL underneath; the Kubo fingerprint (SHAKE-128) is a domain concept and stays there.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keyd {

using Sha256 = std::array<std::uint8_t, 32>;

// The digest of the bytes; nullopt only if OpenSSL fails.
[[nodiscard]] std::optional<Sha256> sha256(std::string_view bytes);

// Lower-case hex of the digest (64 characters); empty only if OpenSSL fails.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace keyd
