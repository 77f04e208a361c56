// The /base16/ and /bin/ bodies, and the message helpers the decoders share.
#include "hex_digits.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "parse_internal.hpp"

#include <algorithm>

namespace keyd::domain::detail {

std::string body_position(Bytes body, std::size_t offset) {
  const auto before = body.first(std::min(offset, body.size()));
  const auto newlines = static_cast<std::size_t>(std::ranges::count(before, std::uint8_t{'\n'}));
  const auto last_newline = std::ranges::find(before.rbegin(), before.rend(), std::uint8_t{'\n'});
  const auto column = static_cast<std::size_t>(last_newline - before.rbegin()) + 1;
  return "line " + std::to_string(3 + newlines) + ", column " + std::to_string(column);
}

std::string describe_byte(std::uint8_t byte) {
  switch (byte) {
    case ' ':
      return " (a space)";
    case '\t':
      return " (a tab)";
    case '\r':
      return " (a carriage return)";
    case '\n':
      return " (a line feed)";
    default:
      break;
  }
  if (byte >= 0x80) return " (a non-ASCII byte)";
  if (byte < 0x20 || byte == 0x7f) return " (a control character)";
  return "";
}

std::string short_key_message(std::size_t got) { return "expected 32 byte PSK, got " + std::to_string(got); }

namespace {

// Go's hex decoder fails on the first byte of the key text that is not a hex digit. A line break
// there means the key line is too short (or the key is split over lines): say so in Go's terms.
std::unexpected<Error> invalid_hex(Bytes body, std::size_t offset) {
  const std::uint8_t c = body[offset];
  if (c == '\n' || c == '\r') {
    return fail(ErrorCode::invalid_input,
                short_key_message(offset / 2) + ": line 3 ends after " + std::to_string(offset) + " hex digits");
  }
  return fail(ErrorCode::invalid_input, "invalid hex byte at " + body_position(body, offset) + describe_byte(c));
}

}  // namespace

// encoding/hex's stream decoder under io.ReadFull(32): hex digit pairs are decoded in order, the
// first non-hex byte among the first 64 is an error, and nothing after the 64th digit is read.
// Chunking does not change this, so the model is exact.
Result<DecodedBody> decode_base16(Bytes body, Findings& findings) {
  DecodedBody out;
  out.key.resize(k_psk_size);
  const auto key = out.key.mutable_bytes();
  for (std::size_t i = 0; i < k_psk_size; ++i) {
    const std::size_t high = 2 * i;
    const std::size_t low = high + 1;
    if (high >= body.size()) return fail(ErrorCode::invalid_input, short_key_message(i) + " (unexpected EOF)");
    const int high_value = hex_value(body[high]);
    if (high_value < 0) return invalid_hex(body, high);
    if (low >= body.size()) {
      return fail(ErrorCode::invalid_input,
                  short_key_message(i) + " (unexpected EOF after an odd number of hex digits)");
    }
    const int low_value = hex_value(body[low]);
    if (low_value < 0) return invalid_hex(body, low);
    key[i] = static_cast<std::uint8_t>((high_value << 4) | low_value);
    if (is_upper_hex_letter(body[high]) || is_upper_hex_letter(body[low])) findings.uppercase_hex = true;
  }
  out.key_end = 2 * k_psk_size;
  return out;
}

// /bin/: the 32 bytes right after line 2, whatever they are.
Result<DecodedBody> decode_bin(Bytes body) {
  if (body.size() < k_psk_size) {
    return fail(ErrorCode::invalid_input, short_key_message(body.size()) + " (unexpected EOF)");
  }
  DecodedBody out;
  out.key = Secret(body.first(k_psk_size));
  out.key_end = k_psk_size;
  return out;
}

}  // namespace keyd::domain::detail
