// Hex digit helpers shared by the canonical writer, the fingerprint and the base16 decoder.
#pragma once

#include <cstdint>
#include <string_view>

namespace keyd::domain::detail {

inline constexpr std::string_view k_lower_hex_digits = "0123456789abcdef";

[[nodiscard]] constexpr char lower_hex_digit(unsigned nibble) noexcept { return k_lower_hex_digits[nibble & 0xfU]; }

// The value of a hex digit (either case), or -1 for anything else.
[[nodiscard]] constexpr int hex_value(std::uint8_t c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[nodiscard]] constexpr bool is_hex_digit(std::uint8_t c) noexcept { return hex_value(c) >= 0; }
[[nodiscard]] constexpr bool is_upper_hex_letter(std::uint8_t c) noexcept { return c >= 'A' && c <= 'F'; }

}  // namespace keyd::domain::detail
