// The forms of one swarm key that no-leak tests look for in every output, log and audit line.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <regex>
#include <string>

namespace keyd::testing {

struct KeyForms {
  std::string hex, upper_hex, base64, raw;
};

// The forms of the key in a canonical key file: its hex digits (lower and upper case), a 40-character
// prefix of the base64 of its 32 raw bytes (any long prefix is already a leak) and the raw bytes.
inline KeyForms forms_of_key_file(const std::string& key_file_text) {
  static const std::regex hex_line("/base16/\n([0-9a-f]{64})\n");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(key_file_text, m, hex_line)) << "not a canonical key file";
  KeyForms f;
  f.hex = m[1];
  for (char c : f.hex) f.upper_hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < 64; i += 2) f.raw += static_cast<char>(std::stoi(f.hex.substr(i, 2), nullptr, 16));
  std::string b64(64, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(f.raw.data()), 32);
  b64.resize(static_cast<std::size_t>(n));
  f.base64 = b64.substr(0, 40);
  return f;
}

}  // namespace keyd::testing
