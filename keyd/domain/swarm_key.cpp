// SwarmKey construction, the canonical key file text, and key generation.
#include "keyd/domain/swarm_key.hpp"

#include "hex_digits.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace keyd::domain {

namespace {

inline constexpr std::string_view k_base16_line = "/base16/";
// "<header>\n/base16/\n<64 hex>\n"
inline constexpr std::size_t k_canonical_size = k_psk_header.size() + 1 + k_base16_line.size() + 1 + 2 * k_psk_size + 1;

}  // namespace

std::string_view to_string(KeyEncoding encoding) noexcept {
  switch (encoding) {
    case KeyEncoding::base16:
      return "base16";
    case KeyEncoding::base64:
      return "base64";
    case KeyEncoding::bin:
      return "bin";
  }
  return "unknown";
}

std::string Fingerprint::hex() const {
  std::string out;
  out.reserve(2 * bytes.size());
  for (const std::uint8_t b : bytes) {
    out.push_back(detail::lower_hex_digit(static_cast<unsigned>(b) >> 4U));
    out.push_back(detail::lower_hex_digit(b));
  }
  return out;
}

Result<SwarmKey> SwarmKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != k_psk_size) {
    return fail(ErrorCode::invalid_input, "a swarm key must be exactly 32 bytes, got " + std::to_string(bytes.size()));
  }
  return SwarmKey(Secret(bytes));
}

Secret SwarmKey::canonical_text() const {
  Secret text;
  text.resize(k_canonical_size);
  auto out = text.mutable_bytes();
  auto it = out.begin();
  const auto put_line = [&it](std::string_view line) {
    it = std::copy(line.begin(), line.end(), it);
    *it++ = '\n';
  };
  put_line(k_psk_header);
  put_line(k_base16_line);
  for (const std::uint8_t b : bytes()) {
    *it++ = static_cast<std::uint8_t>(detail::lower_hex_digit(static_cast<unsigned>(b) >> 4U));
    *it++ = static_cast<std::uint8_t>(detail::lower_hex_digit(b));
  }
  *it = '\n';
  return text;
}

SwarmKey SwarmKey::clone() const { return SwarmKey(m_bytes.clone()); }

Result<SwarmKey> generate_swarm_key() {
  Secret bytes;
  bytes.resize(k_psk_size);
  if (RAND_bytes(bytes.mutable_bytes().data(), static_cast<int>(k_psk_size)) != 1) {
    return fail(ErrorCode::internal, "OpenSSL RAND_bytes failed to produce a swarm key");
  }
  return SwarmKey::from_bytes(bytes.bytes());
}

}  // namespace keyd::domain
