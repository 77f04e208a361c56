// Swarm keys (libp2p private-network PSK v1): generation, the canonical file form, the parser that
// mirrors go-libp2p's acceptance rules, weak-key checks and Kubo's fingerprint. Pure: no I/O, no logs.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::domain {

inline constexpr std::size_t k_psk_size = 32;
inline constexpr std::string_view k_psk_header = "/key/swarm/psk/1.0.0/";

enum class KeyEncoding { base16, base64, bin };
std::string_view to_string(KeyEncoding encoding) noexcept;

// Kubo's "Swarm key fingerprint": 16 bytes, shown as 32 lowercase hex. Not secret.
struct Fingerprint {
  std::array<std::uint8_t, 16> bytes{};
  [[nodiscard]] std::string hex() const;
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// Exactly 32 key bytes, held in a Secret (zeroed on destruction, never printable).
class SwarmKey {
 public:
  // invalid_input unless exactly 32 bytes.
  [[nodiscard]] static Result<SwarmKey> from_bytes(std::span<const std::uint8_t> bytes);

  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return m_bytes.bytes(); }
  // "/key/swarm/psk/1.0.0/\n/base16/\n<64 lowercase hex>\n" — the form every known parser accepts.
  [[nodiscard]] Secret canonical_text() const;
  // SHAKE-128 (16 bytes) over Salsa20(key, nonce "finprint") applied to 64 zero bytes.
  [[nodiscard]] Fingerprint fingerprint() const;
  [[nodiscard]] SwarmKey clone() const;

  friend bool operator==(const SwarmKey& a, const SwarmKey& b) noexcept { return a.m_bytes == b.m_bytes; }

 private:
  explicit SwarmKey(Secret bytes) : m_bytes(std::move(bytes)) {}
  Secret m_bytes;
};

// 32 bytes from OpenSSL's CSPRNG (RAND_bytes; its failure is an error, never a weak key).
[[nodiscard]] Result<SwarmKey> generate_swarm_key();

// A key file as go-libp2p reads it, plus what keyd thinks of it.
struct ParsedKey {
  SwarmKey key;
  KeyEncoding encoding;
  // Non-fatal findings: forms js-libp2p rejects or that are not canonical (CRLF, base64, bin,
  // uppercase hex, trailing data, a longer key truncated to 32 bytes, ...). Never contain key material.
  std::vector<std::string> warnings;
};

// Parse a swarm.key file's bytes with go-libp2p's rules (see shared/reference/swarm-key.md).
// Rejections are invalid_input with a reason modelled on go-libp2p's error text, never quoting key bytes.
// Does not judge key strength: see check_key_strength.
[[nodiscard]] Result<ParsedKey> parse_swarm_key(std::span<const std::uint8_t> file_bytes);
[[nodiscard]] Result<ParsedKey> parse_swarm_key(const Secret& file_bytes);

// invalid_input for weak keys: all-zero, one repeated byte, or similarly trivial low-entropy patterns.
[[nodiscard]] Status check_key_strength(const SwarmKey& key);

// parse_swarm_key + check_key_strength: what every command that accepts a key from outside uses.
[[nodiscard]] Result<ParsedKey> parse_and_validate(const Secret& file_bytes);

}  // namespace keyd::domain
