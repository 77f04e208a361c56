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
