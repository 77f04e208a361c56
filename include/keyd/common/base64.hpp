// Base64 (RFC 4648): keyd's one encoder and its decoders. The one other decoder is on purpose:
// the swarm key grammar's /base64/ body (domain/decode_base64.cpp) reproduces go-libp2p's stream
// decoder, errors and all, and stays apart. Encoded and decoded text may be key material, so both
// directions live in Secrets.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace keyd {

// Standard alphabet, padded: what a Kubernetes Secret's data holds.
[[nodiscard]] Secret base64_encode(std::span<const std::uint8_t> bytes);

// Strict, for what an encoder wrote (a Kubernetes Secret's data): standard alphabet, the length a
// multiple of four, padding as OpenSSL's EVP_DecodeBlock reads it. invalid_input otherwise.
[[nodiscard]] Result<Secret> base64_decode(std::string_view text);

// Lenient, for what people paste (kubeconfig *-data fields, values files): the characters in
// `skip` are ignored anywhere, padding is optional (and may be repeated), nothing but skipped
// characters may follow it.
struct Base64Lenient {
  bool url_alphabet = false;          // also '-' and '_' for 62 and 63 (base64url; mixing is allowed)
  std::string_view skip = " \t\r\n";  // the characters ignored
};
inline constexpr std::string_view k_c_whitespace = " \t\n\v\f\r";  // std::isspace in the C locale

// nullopt when the text is not base64 by those rules (a character outside the alphabet, data after
// padding, a final group of one character).
[[nodiscard]] std::optional<Secret> base64_decode_lenient(std::string_view text, Base64Lenient options = {});

}  // namespace keyd
