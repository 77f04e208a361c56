// Shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp): invariant checks that abort with a
// message (libFuzzer then saves the input as crash-*), whatever NDEBUG says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace keyd::fuzz {

// Lower-case hex of bytes (key bytes, digests), as the tests' expectations spell them.
inline std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Whether `text` is well-formed UTF-8 (what JSON can carry unchanged).
inline bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t more = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) { more = 1; code = c & 0x1FU; }
    else if (c >= 0xE0 && c <= 0xEF) { more = 2; code = c & 0x0FU; }
    else if (c >= 0xF0 && c <= 0xF4) { more = 3; code = c & 0x07U; }
    else return false;
    if (i + more >= text.size()) return false;
    for (std::size_t k = 1; k <= more; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0U) != 0x80U) return false;
      code = (code << 6U) | (d & 0x3FU);
    }
    if ((more == 2 && code < 0x800) || (more == 3 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += more + 1;
  }
  return true;
}

// The first run in `text` that keyd's message redaction (adapters/mcp/mcp_text.cpp) treats as key
// material or a credential: 16+ hex digits, 20+ base64/base64url characters mixing upper case,
// lower case and digits, or an unbroken word of 32+ of them; empty when there is none.
inline std::string_view key_shaped_run(std::string_view text) {
  const auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  const auto is_base64 = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '/' ||
           c == '-' || c == '_' || c == '.' || c == '=';
  };
  const auto is_separator = [](char c) { return c == '/' || c == '.' || c == '-' || c == '_' || c == '='; };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_base64(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i, hex_run = 0, longest_hex = 0, segment = 0, longest_segment = 0;
    bool upper = false, lower = false, digit = false;
    for (; end < text.size() && is_base64(text[end]); ++end) {
      const char c = text[end];
      hex_run = is_hex(c) ? hex_run + 1 : 0;
      longest_hex = hex_run > longest_hex ? hex_run : longest_hex;
      segment = is_separator(c) ? 0 : segment + 1;
      longest_segment = segment > longest_segment ? segment : longest_segment;
      upper = upper || (c >= 'A' && c <= 'Z');
      lower = lower || (c >= 'a' && c <= 'z');
      digit = digit || (c >= '0' && c <= '9');
    }
    if (longest_hex >= 16 || (upper && lower && digit && end - i >= 20) || longest_segment >= 32) {
      return text.substr(i, end - i);
    }
    i = end;
  }
  return {};
}

// Aborts when `message` carries a key-shaped run (key_shaped_run) or `secret` (a token, a client
// key from the input; ignored when shorter than 8 bytes, which any text may contain by chance).
inline void check_redacted(std::string_view message, std::string_view secret = {}) {
  const auto run = key_shaped_run(message);
  const bool leaks = secret.size() >= 8 && message.find(secret) != std::string_view::npos;
  if (!run.empty() || leaks) {
    std::fprintf(stderr, "message carries %s: %.*s\n", leaks ? "a secret of the input" : "a key-shaped run",
                 static_cast<int>(message.size()), message.data());
    std::abort();
  }
}

// Splits the input at the first occurrence of `separator` (e.g. a part per field of a request);
// parts after the last separator are empty.
class Splitter {
 public:
  Splitter(std::string_view text, std::string_view separator) : m_rest(text), m_separator(separator) {}
  std::string_view next() {
    const auto at = m_rest.find(m_separator);
    if (at == std::string_view::npos) {
      const auto part = m_rest;
      m_rest = {};
      return part;
    }
    const auto part = m_rest.substr(0, at);
    m_rest.remove_prefix(at + m_separator.size());
    return part;
  }
  [[nodiscard]] std::string_view rest() const { return m_rest; }

 private:
  std::string_view m_rest;
  std::string_view m_separator;
};

}  // namespace keyd::fuzz
