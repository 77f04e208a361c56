// Test-only key material and swarm.key text builders for the domain tests.
// The fixed key is an obviously fake arithmetic pattern, never a key in use anywhere.
#pragma once

#include "keyd/domain/swarm_key.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::domain::test {

using KeyBytes = std::array<std::uint8_t, k_psk_size>;

// (i*i*29 + i*167 + 13) mod 256: fake, but passes check_key_strength (32 distinct values).
inline KeyBytes fake_key() {
  KeyBytes key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>((i * i * 29 + i * 167 + 13) & 0xffU);
  return key;
}

inline std::string as_string(std::span<const std::uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }

inline std::vector<std::uint8_t> as_bytes(std::string_view text) { return {text.begin(), text.end()}; }

inline std::string hex_lower(std::span<const std::uint8_t> bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4U]);
    out.push_back(digits[b & 0xfU]);
  }
  return out;
}

inline std::string hex_upper(std::span<const std::uint8_t> bytes) {
  std::string out = hex_lower(bytes);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Standard padded base64 (OpenSSL's EVP_EncodeBlock).
inline std::string base64_padded(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

inline std::string base64_unpadded(std::span<const std::uint8_t> bytes) {
  std::string out = base64_padded(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

inline constexpr std::string_view k_header_line = "/key/swarm/psk/1.0.0/\n";

inline std::string key_file(std::string_view codec, std::string_view body) {
  return std::string(k_header_line) + std::string(codec) + "\n" + std::string(body);
}

// True if `haystack` contains any `window`-long piece of `needle`.
inline bool contains_any_window(std::string_view haystack, std::string_view needle, std::size_t window) {
  if (needle.size() < window) return haystack.find(needle) != std::string_view::npos;
  for (std::size_t i = 0; i + window <= needle.size(); ++i) {
    if (haystack.find(needle.substr(i, window)) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace keyd::domain::test
