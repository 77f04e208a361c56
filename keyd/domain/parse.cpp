// parse_swarm_key: go-libp2p's DecodeV1PSK acceptance rules, plus warnings for what js-libp2p
// rejects or keyd would not write. See shared/reference/swarm-key.md for the behaviour table.
//
// Warning policy: a warning marks a form that js-libp2p 3.x rejects (base64, bin, a longer key,
// anything after the key on line 3) or that is not canonical in a way worth fixing (CRLF, uppercase
// hex, data lines after the key). A missing final newline and extra blank lines after the key get no
// warning: every known parser accepts them and they carry no meaning.
#include "keyd/domain/swarm_key.hpp"

#include "hex_digits.hpp"
#include "parse_internal.hpp"

#include <algorithm>
#include <optional>

namespace keyd::domain {

namespace {

using detail::Bytes;
using detail::Findings;

inline constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

std::string_view as_text(Bytes bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

struct Line {
  Bytes text;            // without the line ending
  std::size_t next = 0;  // offset of the following line
  bool crlf = false;
};

// bufio.Reader.ReadBytes('\n') then bytes.TrimRight(line, "\r\n"): a line needs an LF (no LF before
// EOF is io.EOF, so CR-only files fail here), and every CR before that LF is dropped.
std::optional<Line> read_line(Bytes file, std::size_t start) {
  const auto rest = file.subspan(start);
  const auto newline = std::ranges::find(rest, std::uint8_t{'\n'});
  if (newline == rest.end()) return std::nullopt;
  auto length = static_cast<std::size_t>(newline - rest.begin());
  const std::size_t with_cr = length;
  while (length > 0 && rest[length - 1] == '\r') --length;
  return Line{rest.first(length), start + with_cr + 1, length != with_cr};
}

std::string missing_line_message(Bytes file, std::size_t start, std::string_view which) {
  std::string message = "unexpected EOF: " + std::string(which) + " has no LF line ending";
  const auto rest = file.subspan(start);
  if (std::ranges::find(rest, std::uint8_t{'\r'}) != rest.end()) {
    message += " (CR-only line endings are not supported)";
  }
  return message;
}

std::string_view trim_spaces(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Why line 1 is not the header, without quoting it (a bare key file has the key on line 1).
std::string header_hint(std::string_view line) {
  if (line.empty()) return " (line 1 is blank)";
  if (line.starts_with(k_utf8_bom)) return " (the file starts with a UTF-8 byte order mark)";
  if (trim_spaces(line) == k_psk_header) return " (line 1 has leading or trailing whitespace)";
  if (line.starts_with("/key/swarm/psk/")) return " (unsupported PSK version)";
  if (std::ranges::all_of(line, [](char c) { return detail::is_hex_digit(static_cast<std::uint8_t>(c)); })) {
    return " (line 1 looks like a bare key; the two header lines are missing)";
  }
  return "";
}

std::optional<KeyEncoding> encoding_named(std::string_view line) {
  if (line == "/base16/") return KeyEncoding::base16;
  if (line == "/base64/") return KeyEncoding::base64;
  if (line == "/bin/") return KeyEncoding::bin;
  return std::nullopt;
}

std::string encoding_hint(std::string_view line) {
  if (line.empty()) return " (line 2 is blank)";
  if (encoding_named(trim_spaces(line))) return " (line 2 has leading or trailing whitespace)";
  return "";
}

// After a base16/base64 key: the rest of its line, then the lines after it.
void inspect_text_tail(Bytes body, std::size_t key_end, bool (*is_key_char)(std::uint8_t), Findings& findings) {
  const auto tail = body.subspan(key_end);
  const auto newline = std::ranges::find(tail, std::uint8_t{'\n'});
  auto line = tail.first(static_cast<std::size_t>(newline - tail.begin()));
  if (!line.empty() && line.back() == '\r') findings.crlf = true;
  const auto more_key = std::ranges::find_if_not(line, is_key_char);
  if (more_key != line.begin()) findings.longer_key = true;
  const auto after_key = line.subspan(static_cast<std::size_t>(more_key - line.begin()));
  if (!std::ranges::all_of(after_key, detail::is_line_space)) {
    findings.data_on_key_line = true;
  } else if (std::ranges::any_of(after_key, [](std::uint8_t c) { return c != '\r'; })) {
    findings.trailing_whitespace = true;
  }
  if (newline == tail.end()) return;
  const auto later = tail.subspan(line.size() + 1);
  if (!std::ranges::all_of(later, [](std::uint8_t c) { return detail::is_line_space(c) || c == '\n'; })) {
    findings.data_after_key = true;
  }
}

bool is_base16_char(std::uint8_t c) { return detail::is_hex_digit(c); }
bool is_base64_char(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

Result<detail::DecodedBody> decode_body(KeyEncoding encoding, Bytes body, Findings& findings) {
  switch (encoding) {
    case KeyEncoding::base16:
      return detail::decode_base16(body, findings);
    case KeyEncoding::base64:
      return detail::decode_base64(body, findings);
    case KeyEncoding::bin:
      return detail::decode_bin(body);
  }
  return fail(ErrorCode::internal, "unhandled key encoding");
}

std::vector<std::string> to_warnings(KeyEncoding encoding, const Findings& f) {
  std::vector<std::string> warnings;
  const auto add = [&warnings](bool present, std::string_view sentence) {
    if (present) warnings.emplace_back(sentence);
  };
  add(encoding == KeyEncoding::base64, "The key is base64-encoded, which js-libp2p rejects; keyd writes base16.");
  add(encoding == KeyEncoding::bin, "The key is raw binary (/bin/), which js-libp2p rejects; keyd writes base16.");
  add(f.crlf, "The file uses CR LF line endings; keyd writes LF only.");
  add(f.uppercase_hex, "The key uses uppercase hex digits, which js-libp2p 2.x rejects; keyd writes lowercase.");
  add(f.base64_multiline, "The base64 key is split over several lines, which only go-libp2p accepts.");
  add(f.longer_key, "The key is longer than 32 bytes: go-libp2p silently uses the first 32 and js-libp2p rejects it.");
  add(f.trailing_whitespace, "The key line has trailing whitespace, which js-libp2p rejects.");
  add(f.data_on_key_line, "The key line has extra characters after the key, which js-libp2p rejects.");
  add(f.data_after_key, encoding == KeyEncoding::bin
                            ? "The file has bytes after the 32 key bytes; go-libp2p ignores them."
                            : "The file has data after the key line; go-libp2p and js-libp2p ignore it.");
  return warnings;
}

}  // namespace

Result<ParsedKey> parse_swarm_key(std::span<const std::uint8_t> file_bytes) {
  const auto header = read_line(file_bytes, 0);
  if (!header) return fail(ErrorCode::invalid_input, missing_line_message(file_bytes, 0, "line 1 (the header)"));
  if (as_text(header->text) != k_psk_header) {
    return fail(ErrorCode::invalid_input, "expected file header " + std::string(k_psk_header) + " on line 1" +
                                              header_hint(as_text(header->text)));
  }
  const auto codec = read_line(file_bytes, header->next);
  if (!codec) {
    return fail(ErrorCode::invalid_input, missing_line_message(file_bytes, header->next, "line 2 (the encoding)"));
  }
  const auto encoding = encoding_named(as_text(codec->text));
  if (!encoding) {
    return fail(ErrorCode::invalid_input, "unknown encoding on line 2, expected /base16/, /base64/ or /bin/" +
                                              encoding_hint(as_text(codec->text)));
  }

  Findings findings;
  findings.crlf = header->crlf || codec->crlf;
  const Bytes body = file_bytes.subspan(codec->next);
  KEYD_ASSIGN_OR_RETURN(const detail::DecodedBody decoded, decode_body(*encoding, body, findings));

  if (*encoding == KeyEncoding::bin) {
    const auto tail = body.subspan(decoded.key_end);
    findings.data_after_key = !tail.empty() && !(tail.size() == 1 && tail[0] == '\n');
  } else {
    inspect_text_tail(body, decoded.key_end, *encoding == KeyEncoding::base16 ? is_base16_char : is_base64_char,
                      findings);
    findings.longer_key = findings.longer_key || decoded.decoded_extra;
  }

  KEYD_ASSIGN_OR_RETURN(SwarmKey key, SwarmKey::from_bytes(decoded.key.bytes()));
  return ParsedKey{std::move(key), *encoding, to_warnings(*encoding, findings)};
}

Result<ParsedKey> parse_swarm_key(const Secret& file_bytes) { return parse_swarm_key(file_bytes.bytes()); }

Result<ParsedKey> parse_and_validate(const Secret& file_bytes) {
  KEYD_ASSIGN_OR_RETURN(ParsedKey parsed, parse_swarm_key(file_bytes));
  KEYD_TRY(check_key_strength(parsed.key));
  return parsed;
}

}  // namespace keyd::domain
