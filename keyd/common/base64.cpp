#include "keyd/common/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace keyd {

namespace {

// The 6-bit value of c, or -1.
int sextet(char c, bool url_alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || (url_alphabet && c == '-')) return 62;
  if (c == '/' || (url_alphabet && c == '_')) return 63;
  return -1;
}

}  // namespace

Secret base64_encode(std::span<const std::uint8_t> bytes) {
  Secret out;
  out.resize(4 * ((bytes.size() + 2) / 3) + 1);  // EVP_EncodeBlock writes a terminating NUL
  const int n = EVP_EncodeBlock(out.mutable_bytes().data(), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

Result<Secret> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return fail(ErrorCode::invalid_input, "not base64 (length)");
  Secret out;
  out.resize(text.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.mutable_bytes().data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return fail(ErrorCode::invalid_input, "not base64");
  // EVP_DecodeBlock counts padding as zero bytes: drop one per trailing '='.
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && size > 0; --i) --size;
  out.resize(size);
  return out;
}

std::optional<Secret> base64_decode_lenient(std::string_view text, Base64Lenient options) {
  Secret out;
  out.resize(text.size() / 4 * 3 + 3);
  std::size_t used = 0;
  std::uint32_t bits = 0;
  int pending = 0;  // sextets in `bits`
  bool padded = false;
  for (const char c : text) {
    if (options.skip.find(c) != std::string_view::npos) continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    const int value = sextet(c, options.url_alphabet);
    if (value < 0 || padded) return std::nullopt;  // not base64, or data after padding
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    if (++pending == 4) {
      for (const int shift : {16, 8, 0}) out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> shift);
      bits = 0;
      pending = 0;
    }
  }
  if (pending == 1) return std::nullopt;  // six bits make no byte
  if (pending == 2) out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 4);
  if (pending == 3) {
    out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 10);
    out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 2);
  }
  bits = 0;
  out.resize(used);
  return out;
}

}  // namespace keyd
