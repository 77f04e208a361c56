#include "keyd/common/digest.hpp"

#include <openssl/evp.h>

namespace keyd {

std::optional<Sha256> sha256(std::string_view bytes) {
  Sha256 digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

std::string sha256_hex(std::string_view bytes) {
  const auto digest = sha256(bytes);
  if (!digest) return {};
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest->size());
  for (const std::uint8_t b : *digest) {
    out += k_hex[b >> 4U];
    out += k_hex[b & 0x0fU];
  }
  return out;
}

}  // namespace keyd
