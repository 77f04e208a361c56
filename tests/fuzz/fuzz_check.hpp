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

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
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
