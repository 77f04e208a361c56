// Redaction of text from outside (servers, callers) before it reaches an error message or a log;
// see include/keyd/common/redact.hpp.
#include "keyd/common/redact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace keyd {

namespace {

constexpr std::size_t k_min_hex_run = 16;
constexpr std::size_t k_min_base64_run = 20;
constexpr std::size_t k_min_word_run = 32;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_base64(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '/' ||
         c == '-' || c == '_' || c == '.' || c == '=';
}

// The length of the valid UTF-8 sequence at the start of `text` (1-4), or 0 when it is not one:
// a stray continuation byte, a truncated sequence, an overlong form, a surrogate, or past U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&text](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(0);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    cp = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    cp = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(k) & 0x3Fu);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  return overlong || surrogate || cp > 0x10FFFF ? 0 : n;
}

// Whether fmt's {:?} shows this character (one valid UTF-8 sequence) as an escape such as "\u200b"
// or "\U000de7b3": its letters and digits would join the words around it into a key-shaped run.
// fmt's own answer, so the two never disagree (fmt escapes what Unicode calls non-printable).
bool escaped_when_quoted(std::string_view character) {
  const std::string quoted = fmt::format("{:?}", character);
  return quoted.size() != character.size() + 2;
}

bool is_separator(char c) { return c == '/' || c == '.' || c == '-' || c == '_' || c == '='; }

}  // namespace

std::string redact_for_message(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_base64(text[i])) {
      std::size_t end = i;
      std::size_t hex_run = 0;
      std::size_t longest_hex = 0;
      std::size_t segment = 0;
      std::size_t longest_segment = 0;
      bool upper = false;
      bool lower = false;
      bool digit = false;
      for (; end < text.size() && is_base64(text[end]); ++end) {
        const char c = text[end];
        hex_run = is_hex(c) ? hex_run + 1 : 0;
        longest_hex = std::max(longest_hex, hex_run);
        segment = is_separator(c) ? 0 : segment + 1;
        longest_segment = std::max(longest_segment, segment);
        upper = upper || (c >= 'A' && c <= 'Z');
        lower = lower || (c >= 'a' && c <= 'z');
        digit = digit || (c >= '0' && c <= '9');
      }
      const std::string_view run = text.substr(i, end - i);
      // Paths such as secret/ipfs-overlay/swarm-key stay readable; hex keys, base64 keys and
      // tokens (long, mixed-case with digits, or one long unbroken word) do not.
      const bool mixed = upper && lower && digit && run.size() >= k_min_base64_run;
      if (longest_hex >= k_min_hex_run || mixed || longest_segment >= k_min_word_run) {
        out += "<redacted>";
      } else {
        out.append(run);
      }
      i = end;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    // Bytes that are not UTF-8, and characters {:?} would escape, become U+FFFD: quoted, they would
    // show as "\xff" or "\u200b", whose letters join the words around them (and JSON needs UTF-8).
    const std::size_t n = utf8_sequence_length(text.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else if (escaped_when_quoted(text.substr(i, n))) {
      out += "\xEF\xBF\xBD";  // one character, one replacement
      i += n;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  if (out.size() > max_chars) {
    std::size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    out.resize(cut);
    out += "…";
  }
  return out;
}

}  // namespace keyd
