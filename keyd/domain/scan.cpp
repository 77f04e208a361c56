// scan_for_keys: the anchors (key file header, its base64, runs of 64+ hex digits), labelled bare hex,
// and the line numbers of what was found.
#include "keyd/domain/scan.hpp"

#include "hex_digits.hpp"
#include "scan_internal.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

namespace keyd::domain {

namespace {

using detail::Bytes;

constexpr std::size_t k_hex_key_digits = 2 * k_psk_size;
constexpr std::size_t k_max_label_distance = 256;  // how far back on the line a label is looked for

constexpr bool is_alnum(std::uint8_t c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_letter(std::uint8_t c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr std::uint8_t lower(std::uint8_t c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

// Every maximal run of at least 64 hex digits. Probes one byte in 64 where there is no hex: a run
// of 64 must cover the probe, so text without long hex runs is skipped 64 bytes at a time.
template <typename F>
void for_each_long_hex_run(Bytes text, F&& visit) {
  std::size_t probe = k_hex_key_digits - 1;
  while (probe < text.size()) {
    if (!detail::is_hex_digit(text[probe])) {
      probe += k_hex_key_digits;
      continue;
    }
    std::size_t start = probe;
    while (start > 0 && detail::is_hex_digit(text[start - 1])) --start;
    std::size_t end = probe + 1;
    while (end < text.size() && detail::is_hex_digit(text[end])) ++end;
    if (end - start >= k_hex_key_digits) visit(start, end);
    probe = end + k_hex_key_digits;
  }
}

// The lower-cased text of the line before `at`, at most k_max_label_distance bytes.
std::string line_before(Bytes text, std::size_t at) {
  std::size_t start = at;
  while (start > 0 && at - start < k_max_label_distance && text[start - 1] != '\n') --start;
  std::string out(at - start, '\0');
  std::transform(text.begin() + static_cast<std::ptrdiff_t>(start), text.begin() + static_cast<std::ptrdiff_t>(at),
                 out.begin(), [](std::uint8_t c) { return static_cast<char>(lower(c)); });
  return out;
}

// swarm.key, swarm_key, swarm-key, "swarm key", swarmkey (any case), or psk not inside a word.
bool names_a_swarm_key(std::string_view line) {
  for (std::size_t at = line.find("swarm"); at != std::string_view::npos; at = line.find("swarm", at + 1)) {
    std::size_t next = at + 5;
    if (next < line.size() && (line[next] == '.' || line[next] == '_' || line[next] == '-' || line[next] == ' ')) {
      ++next;
    }
    if (line.substr(next).starts_with("key")) return true;
  }
  for (std::size_t at = line.find("psk"); at != std::string_view::npos; at = line.find("psk", at + 1)) {
    if (at == 0 || !is_letter(static_cast<std::uint8_t>(line[at - 1]))) return true;
  }
  return false;
}

// A line that says the value is a digest of something (sha256sum of swarm.key, an integrity field).
bool names_a_digest(std::string_view line) {
  static constexpr std::array<std::string_view, 11> words{
      "sha1", "sha2", "sha3", "sha5", "sha-", "hash", "digest", "checksum", "integrity", "fingerprint", "blake"};
  return std::ranges::any_of(words, [&](std::string_view w) { return line.find(w) != std::string_view::npos; });
}

// Exactly 64 hex digits standing alone (0x prefix allowed), labelled as a swarm key on its line.
bool is_labelled_key(Bytes text, std::size_t start, std::size_t end) {
  if (end - start != k_hex_key_digits) return false;
  if (end < text.size() && is_alnum(text[end])) return false;
  std::size_t value_start = start;
  if (start >= 2 && lower(text[start - 1]) == 'x' && text[start - 2] == '0') value_start = start - 2;
  if (value_start > 0 && (is_alnum(text[value_start - 1]) || text[value_start - 1] == '-')) return false;
  const std::string line = line_before(text, value_start);
  return names_a_swarm_key(line) && !names_a_digest(line);
}

void number_lines(Bytes text, std::vector<KeyFinding>& findings) {
  std::size_t line = 1;
  std::size_t counted_to = 0;
  for (auto& f : findings) {
    const auto* from = text.data() + counted_to;
    const auto* to = text.data() + f.offset;
    while (from < to) {
      const void* nl = std::memchr(from, '\n', static_cast<std::size_t>(to - from));
      if (nl == nullptr) break;
      ++line;
      from = static_cast<const std::uint8_t*>(nl) + 1;
    }
    counted_to = f.offset;
    f.line = line;
  }
}

}  // namespace

std::string describe_encoding(const KeyFinding& finding) {
  switch (finding.found_as) {
    case FoundAs::key_file:
      return std::string(to_string(finding.encoding));
    case FoundAs::base64_key_file:
      return "base64 key file";
    case FoundAs::labelled_hex:
      return "labelled hex";
  }
  return "unknown";
}

std::vector<KeyFinding> scan_for_keys(std::span<const std::uint8_t> text) {
  std::vector<KeyFinding> findings;
  std::set<std::size_t> key_offsets;  // where a key file's key starts, so labelled hex does not repeat it
  const auto add = [&](std::optional<KeyFinding> finding) {
    if (finding && key_offsets.insert(finding->offset).second) findings.push_back(*finding);
  };

  detail::for_each_occurrence(text, detail::k_header_anchor, [&](std::size_t at) {
    if (auto candidate = detail::key_file_at(text, at)) add(detail::judge(*candidate, FoundAs::key_file));
  });
  detail::for_each_occurrence(text, detail::k_base64_header_anchor, [&](std::size_t at) {
    if (at > 0 && is_alnum(text[at - 1])) return;  // inside a longer base64 text: not the file's start
    const auto decoded = detail::decode_base64_run(text, at);
    if (!decoded) return;
    auto candidate = detail::key_file_at(decoded->bytes(), 0);
    if (!candidate) return;
    candidate->key_offset = at;
    add(detail::judge(*candidate, FoundAs::base64_key_file));
  });
  for_each_long_hex_run(text, [&](std::size_t start, std::size_t end) {
    if (key_offsets.contains(start) || !is_labelled_key(text, start, end)) return;
    detail::Candidate candidate{
        detail::concat({detail::as_bytes("/key/swarm/psk/1.0.0/\n/base16/\n"),
                               text.subspan(start, end - start), detail::as_bytes("\n")}),
        start};
    add(detail::judge(candidate, FoundAs::labelled_hex));
  });

  std::ranges::sort(findings, {}, &KeyFinding::offset);
  number_lines(text, findings);
  return findings;
}

std::vector<KeyFinding> scan_for_keys(std::string_view text) { return scan_for_keys(detail::as_bytes(text)); }

}  // namespace keyd::domain
