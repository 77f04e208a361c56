#include "keyd/domain/store_path.hpp"

#include <cstddef>

namespace keyd::domain {
namespace {

constexpr std::size_t k_max_component = 200;

// The length of the UTF-8 sequence starting at text[i], or 0 when it is not one (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string store_path_problem(std::string_view path) {
  if (path.empty()) return "empty";
  if (path.front() == '/') return "absolute paths are not allowed";
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') return "backslashes are not allowed";
    if (u < 0x20 || u == 0x7f) return "control characters are not allowed";
  }
  if (first_invalid_utf8(path) != std::string_view::npos) return "not UTF-8";
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (part.empty()) return "empty path component ('//' or a trailing '/')";
    if (part == "." || part == "..") return "'.' and '..' components are not allowed";
    if (part.front() == '_') return "components starting with '_' are reserved";
    if (part.size() > k_max_component) return "path component longer than 200 bytes";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

}  // namespace keyd::domain
