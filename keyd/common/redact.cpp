// Redaction of text keyd did not write before it reaches an error message; see redact.hpp.
#include "keyd/common/redact.hpp"

#include <algorithm>

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
    const char c = text[i++];
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (out.size() > max_chars) {
    out.resize(max_chars);
    out += "…";
  }
  return out;
}

}  // namespace keyd
