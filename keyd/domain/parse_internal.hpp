// Internals of parse_swarm_key shared by parse.cpp and the per-encoding decoders. Not a public API.
//
// The decoders model what go-libp2p's DecodeV1PSK does with the bytes after line 2 ("the body"):
// io.ReadFull of 32 bytes through encoding/hex's or encoding/base64's stream decoder, or straight
// from the bufio.Reader for /bin/. Whatever follows the 32 bytes Go reads is ignored by Go; the
// decoders report where the key ended so parse.cpp can describe that tail in warnings.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace keyd::domain::detail {

using Bytes = std::span<const std::uint8_t>;

// Non-fatal findings; parse.cpp turns them into warning sentences.
struct Findings {
  bool crlf = false;              // a line ended in CR LF (or CR at the end of the file)
  bool uppercase_hex = false;     // A-F among the 64 key digits
  bool longer_key = false;        // more key data than 32 bytes: Go silently uses the first 32
  bool base64_multiline = false;  // the base64 text spans several lines (Go skips CR/LF inside it)
  bool trailing_whitespace = false;
  bool data_on_key_line = false;  // other characters after the key on its line
  bool data_after_key = false;    // non-blank lines after the key line (or bytes after a /bin/ key)
};

struct DecodedBody {
  Secret key;                  // exactly 32 bytes
  std::size_t key_end = 0;     // offset in the body just past the last character that went into the key
  bool decoded_extra = false;  // the decoder produced more than 32 bytes (base64's last group)
};

[[nodiscard]] Result<DecodedBody> decode_base16(Bytes body, Findings& findings);
[[nodiscard]] Result<DecodedBody> decode_base64(Bytes body, Findings& findings);
[[nodiscard]] Result<DecodedBody> decode_bin(Bytes body);

// "line L, column C" of an offset in the body (the body starts at line 3, column 1).
[[nodiscard]] std::string body_position(Bytes body, std::size_t offset);
// " (a space)", " (a tab)", ...: names the class of a byte without revealing it.
[[nodiscard]] std::string describe_byte(std::uint8_t byte);
// "expected 32 byte PSK, got N" (Go's text, with the count).
[[nodiscard]] std::string short_key_message(std::size_t got);

[[nodiscard]] constexpr bool is_line_space(std::uint8_t c) noexcept {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace keyd::domain::detail
