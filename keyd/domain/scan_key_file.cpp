// Key file text embedded anywhere (YAML block scalars, JSON strings with escaped "\n", heredocs,
// commented-out lines), and base64 of a key file. Each find is rebuilt as a canonical-layout key file
// and handed to parse_swarm_key, so the scanner reports exactly what a libp2p parser would take.
#include "hex_digits.hpp"
#include "scan_internal.hpp"

#include "keyd/common/base64.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace keyd::domain::detail {

namespace {

constexpr std::size_t k_max_separator = 64;      // bytes between the header, the codec and the key
constexpr std::size_t k_max_line_endings = 4096; // CR and LF among them (see skip_separator)
constexpr std::size_t k_max_version = 16;        // "1.0.0"
constexpr std::size_t k_max_base16_run = 130;    // a longer key is still a key (go uses 32 bytes)
constexpr std::size_t k_base64_key_chars = 44;   // 32 bytes, padded
constexpr std::size_t k_max_base64_key = 96;     // characters gathered for a /base64/ key
constexpr std::size_t k_max_base64_breaks = 4096; // line endings kept between them
constexpr std::size_t k_max_base64_file = 1024;  // characters of a base64-encoded key file
constexpr std::size_t k_min_wrapped_line = 60;   // base64(1) wraps at 76, openssl at 64

constexpr std::string_view k_canonical_header = "/key/swarm/psk/1.0.0/\n";

constexpr bool is_base64_char(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Whether '+' may be skipped: it joins string literals in code, but it is also a base64 character.
enum class Plus { separates, is_data };

// Line breaks (real or escaped, any number of backslashes), indentation, quotes, commas and the
// comment or concatenation marks that can stand between the lines of an embedded key file. CR and LF
// have a bound of their own: go-libp2p strips any number of CRs before a line's LF and its base64
// reader drops CR and LF anywhere in the key, so a long run of them is still a key file (fuzz
// finding 9); the parser models Go's reads for files under 4 KiB, and so does this bound.
std::size_t skip_separator(Bytes text, std::size_t at, Plus plus = Plus::separates) {
  std::size_t other = 0;
  std::size_t breaks = 0;
  while (at < text.size() && other <= k_max_separator && breaks <= k_max_line_endings) {
    const std::uint8_t c = text[at];
    if (c == '\r' || c == '\n') {
      ++breaks;
      ++at;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '`' || c == ',' || c == '#' || c == ';' ||
        (c == '+' && plus == Plus::separates)) {
      ++other;
      ++at;
      continue;
    }
    if (c != '\\') break;
    std::size_t next = at;
    while (next < text.size() && text[next] == '\\') ++next;
    if (next == text.size() || (text[next] != 'n' && text[next] != 'r' && text[next] != 't')) break;
    other += next - at;
    at = next + 1;
  }
  return at;
}

// "/base16/" etc. at `at`, any case; returns the codec and the offset after its closing '/'.
std::optional<std::pair<KeyEncoding, std::size_t>> codec_at(Bytes text, std::size_t at) {
  static constexpr std::array<std::pair<std::string_view, KeyEncoding>, 3> codecs{
      {{"/base16/", KeyEncoding::base16}, {"/base64/", KeyEncoding::base64}, {"/bin/", KeyEncoding::bin}}};
  for (const auto& [name, encoding] : codecs) {
    if (text.size() - at < name.size()) continue;
    const bool same = std::equal(name.begin(), name.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                                 [](char a, std::uint8_t b) { return a == std::tolower(b); });
    if (same) return std::pair{encoding, at + name.size()};
  }
  return std::nullopt;
}

std::optional<Candidate> base16_body(Bytes text, std::size_t at) {
  std::size_t end = at;
  while (end < text.size() && end - at < k_max_base16_run && detail::is_hex_digit(text[end])) ++end;
  if (end - at < 2 * k_psk_size) return std::nullopt;
  return Candidate{
      concat({as_bytes(k_canonical_header), as_bytes("/base16/\n"), text.subspan(at, end - at), as_bytes("\n")}), at};
}

// Line endings a separator stands for: real CR/LF, or escaped "\r"/"\n" (JSON, code), in order.
// Indentation, quotes and the rest are not in the file a parser would read; line endings are, and
// Go's base64 reader counts them (see base64_body).
std::size_t line_endings(Bytes separator, std::span<std::uint8_t> out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < separator.size() && n < out.size(); ++i) {
    const std::uint8_t c = separator[i];
    if (c == '\r' || c == '\n') {
      out[n++] = c;
    } else if (c == '\\' && i + 1 < separator.size() && (separator[i + 1] == 'r' || separator[i + 1] == 'n')) {
      out[n++] = separator[i + 1] == 'r' ? '\r' : '\n';
      ++i;
    }
  }
  return n;
}

// Base64 key characters, across separators (go-libp2p accepts a key split over lines). The line
// endings between them are kept: Go's stream decoder reads raw bytes in chunks and a line ending is
// one of those bytes, so where lines end decides whether a padded group ends its chunk (accepted) or
// has data after it in the same chunk (rejected). Rebuilt on one line, such a key was rejected and
// missed (tests/fuzz/scan_fuzz, finding 7).
// `after_codec` is where the /base64/ line's text ends: the line endings up to the first character
// after the one that ends that line (blank lines) are part of the body Go reads (fuzz finding 11).
std::optional<Candidate> base64_body(Bytes text, std::size_t after_codec) {
  const std::size_t at = skip_separator(text, after_codec, Plus::is_data);
  Secret gathered;
  gathered.resize(k_max_base64_key + k_max_base64_breaks);
  std::size_t n = 0;       // base64 characters gathered
  std::size_t length = 0;  // with the line endings between them
  std::size_t pos = at;
  {
    Secret leading;
    leading.resize(k_max_base64_breaks);
    const auto ends = leading.bytes().first(line_endings(text.subspan(after_codec, at - after_codec), leading.mutable_bytes()));
    const auto line_end = std::ranges::find(ends, std::uint8_t{'\n'});
    if (line_end != ends.end()) {
      const auto blank = ends.subspan(static_cast<std::size_t>(line_end - ends.begin()) + 1);
      std::ranges::copy(blank, gathered.mutable_bytes().begin());
      length = blank.size();
    }
  }
  // Bytes the gathered characters decode to, by whole 4-character groups. Go's stream decoder reads
  // on after a padded group ("...Cg==" then more lines), so a key may need more than 44 characters
  // (found by tests/fuzz/scan_fuzz: the parser took such a file, the scanner did not).
  std::size_t decoded = 0;
  std::size_t padding = 0;
  while ((n < k_base64_key_chars || decoded < k_psk_size) && pos < text.size()) {
    const std::uint8_t c = text[pos];
    if (is_base64_char(c) || c == '=') {
      if (n == k_max_base64_key) break;
      gathered.mutable_bytes()[length++] = c;
      ++n;
      padding += c == '=' ? 1 : 0;
      if (n % 4 == 0) {
        decoded += 3 - std::min<std::size_t>(padding, 2);
        padding = 0;
      }
      ++pos;
      continue;
    }
    const std::size_t next = skip_separator(text, pos, Plus::is_data);
    if (next == pos) break;
    const auto room = gathered.mutable_bytes().subspan(length, gathered.size() - length - (k_max_base64_key - n));
    length += line_endings(text.subspan(pos, next - pos), room);
    pos = next;
  }
  if (n < k_base64_key_chars) return std::nullopt;
  return Candidate{concat({as_bytes(k_canonical_header), as_bytes("/base64/\n"), gathered.bytes().first(length),
                           as_bytes("\n")}),
                   at};
}

// /bin/: the raw bytes right after one line ending, as go-libp2p reads them.
std::optional<Candidate> bin_body(Bytes text, std::size_t at) {
  if (at < text.size() && text[at] == '\r') ++at;
  if (at >= text.size() || text[at] != '\n') return std::nullopt;
  ++at;
  if (text.size() - at < k_psk_size) return std::nullopt;
  return Candidate{concat({as_bytes(k_canonical_header), as_bytes("/bin/\n"), text.subspan(at, k_psk_size)}), at};
}

}  // namespace

Secret concat(std::initializer_list<Bytes> parts) {
  std::size_t size = 0;
  for (const Bytes part : parts) size += part.size();
  Secret out;
  out.resize(size);
  std::size_t at = 0;
  for (const Bytes part : parts) {
    std::copy(part.begin(), part.end(), out.mutable_bytes().begin() + static_cast<std::ptrdiff_t>(at));
    at += part.size();
  }
  return out;
}

std::optional<Candidate> key_file_at(Bytes text, std::size_t at) {
  std::size_t pos = at + k_header_anchor.size();
  const std::size_t version_start = pos;
  while (pos < text.size() && pos - version_start <= k_max_version &&
         ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.')) {
    ++pos;
  }
  if (pos == version_start || pos >= text.size() || text[pos] != '/') return std::nullopt;
  const auto codec = codec_at(text, skip_separator(text, pos + 1));
  if (!codec) return std::nullopt;
  const auto [encoding, after_codec] = *codec;
  if (encoding == KeyEncoding::bin) return bin_body(text, after_codec);
  if (encoding == KeyEncoding::base16) return base16_body(text, skip_separator(text, after_codec));
  return base64_body(text, after_codec);
}

std::optional<Secret> decode_base64_run(Bytes text, std::size_t at) {
  // Gather the characters: one run, continued on the next line only where a long line of whole
  // groups ends (wrapped output), up to padding or the first character that is not base64.
  Secret chars;
  chars.resize(k_max_base64_file);
  std::size_t n = 0;
  std::size_t pos = at;
  std::size_t line_run = 0;
  while (pos < text.size() && n < k_max_base64_file) {
    const std::uint8_t c = text[pos];
    if (is_base64_char(c) || c == '=') {
      chars.mutable_bytes()[n++] = c;
      ++line_run;
      ++pos;
      if (c == '=') break;
      continue;
    }
    if (line_run < k_min_wrapped_line || line_run % 4 != 0) break;
    const std::size_t next = skip_separator(text, pos, Plus::is_data);
    const auto skipped = text.subspan(pos, next - pos);
    if (std::ranges::find(skipped, std::uint8_t{'\n'}) == skipped.end() &&
        std::ranges::find(skipped, std::uint8_t{'\\'}) == skipped.end()) {
      break;  // not a line break
    }
    pos = next;
    line_run = 0;
  }
  if (n < 4) return std::nullopt;
  if (n < k_max_base64_file && pos < text.size() && text[pos] == '=') chars.mutable_bytes()[n++] = '=';

  // Whole groups only: a run cut short (truncated text) still decodes up to its last full group.
  return base64_decode_lenient(chars.reveal_text().substr(0, n / 4 * 4));
}

std::optional<KeyFinding> judge(const Candidate& candidate, FoundAs found_as) {
  auto parsed = parse_swarm_key(candidate.text);
  if (!parsed) return std::nullopt;
  KeyFinding finding;
  finding.offset = candidate.key_offset;
  finding.found_as = found_as;
  finding.encoding = found_as == FoundAs::labelled_hex ? KeyEncoding::base16 : parsed->encoding;
  finding.fingerprint = parsed->key.fingerprint();
  finding.weak = !check_key_strength(parsed->key).has_value();
  return finding;
}

}  // namespace keyd::domain::detail
