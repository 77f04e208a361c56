// The /base64/ body, modelled on Go's base64.NewDecoder(StdEncoding, r) under io.ReadFull(32).
//
// Go's stream decoder (1) drops every CR and LF before decoding, so a key split over lines is
// accepted; (2) asks its reader for max(4, len(p)/3*4) characters per Read and decodes the whole
// 4-character groups it got as one chunk; (3) requires '=' padding: a 2- or 3-character final group
// at EOF is "unexpected EOF"; (4) rejects data after padding inside a chunk, but a padded group that
// ends a chunk is followed by a fresh chunk. The model replays those Read calls exactly, assuming the
// bufio.Reader returns as much as asked while data remains — true for any file under 4 KiB, i.e.
// every real swarm.key.
#include "keyd/domain/swarm_key.hpp"
#include "parse_internal.hpp"

#include <algorithm>
#include <vector>

namespace keyd::domain::detail {

namespace {

constexpr int base64_value(std::uint8_t c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Go's newlineFilteringReader over the buffered body. Hands out offsets of the non-CR/LF
// characters, never the characters, so no key text is copied.
class FilteredBody {
 public:
  explicit FilteredBody(Bytes body) : m_body(body) {}

  // One Read of up to `want` raw bytes; re-reads while everything read was CR/LF. 0 means EOF.
  std::size_t read(std::size_t want, std::vector<std::size_t>& offsets) {
    while (m_pos < m_body.size()) {
      const std::size_t end = std::min(m_body.size(), m_pos + want);
      std::size_t added = 0;
      for (; m_pos < end; ++m_pos) {
        if (m_body[m_pos] == '\r' || m_body[m_pos] == '\n') continue;
        offsets.push_back(m_pos);
        ++added;
      }
      if (added > 0) return added;
    }
    return 0;
  }

 private:
  Bytes m_body;
  std::size_t m_pos = 0;
};

struct Group {
  std::size_t produced = 0;  // 1..3 bytes
  bool padded = false;
};

// One 4-character group (Go's decodeQuantum without the CR/LF skipping the filter already did).
Result<Group> decode_group(Bytes body, std::span<const std::size_t> at, std::span<std::uint8_t> out) {
  std::uint32_t bits = 0;
  Group group{3, false};
  for (std::size_t j = 0; j < 4; ++j) {
    const std::uint8_t c = body[at[j]];
    const int value = base64_value(c);
    if (value >= 0) {
      bits = (bits << 6) | static_cast<std::uint32_t>(value);
      continue;
    }
    if (c != '=') {
      return fail(ErrorCode::invalid_input, "invalid base64 byte at " + body_position(body, at[j]) + describe_byte(c));
    }
    if (j < 2 || (j == 2 && body[at[3]] != '=')) {
      return fail(ErrorCode::invalid_input, "incorrect base64 padding at " + body_position(body, at[j]));
    }
    bits <<= 6 * (4 - j);
    group = Group{j - 1, true};
    break;
  }
  for (std::size_t k = 0; k < group.produced; ++k) out[k] = static_cast<std::uint8_t>(bits >> (16 - 8 * k));
  bits = 0;
  return group;
}

}  // namespace

Result<DecodedBody> decode_base64(Bytes body, Findings& findings) {
  // Room for the last group's overshoot: Go decodes 3 bytes into a side buffer when fewer are wanted.
  Secret decoded;
  decoded.resize(k_psk_size + 2);
  const auto out = decoded.mutable_bytes();
  FilteredBody reader(body);
  std::vector<std::size_t> pending;  // offsets read but not yet decoded (Go's d.buf)
  std::size_t n = 0;
  std::size_t key_end = 0;
  while (n < k_psk_size) {
    const std::size_t want = k_psk_size - n;
    const std::size_t chunk_limit = std::max<std::size_t>(4, want / 3 * 4);
    while (pending.size() < 4) {
      if (reader.read(chunk_limit - pending.size(), pending) == 0) break;
    }
    if (pending.empty()) return fail(ErrorCode::invalid_input, short_key_message(n) + " (unexpected EOF)");
    if (pending.size() < 4) {
      return fail(ErrorCode::invalid_input,
                  short_key_message(n) + " (unexpected EOF in an incomplete base64 group; padding '=' is required)");
    }
    const std::size_t chunk = pending.size() / 4 * 4;
    for (std::size_t g = 0; g < chunk; g += 4) {
      KEYD_ASSIGN_OR_RETURN(const Group group, decode_group(body, std::span(pending).subspan(g, 4), out.subspan(n)));
      n += group.produced;
      key_end = pending[g + 3] + 1;
      if (group.padded && g + 4 < chunk) {
        return fail(ErrorCode::invalid_input,
                    "unexpected data after base64 padding at " + body_position(body, pending[g + 4]));
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(chunk));
  }
  const auto key_text = body.first(key_end);
  if (std::ranges::find(key_text, std::uint8_t{'\n'}) != key_text.end()) findings.base64_multiline = true;
  if (std::ranges::find(key_text, std::uint8_t{'\r'}) != key_text.end()) findings.crlf = true;
  DecodedBody result;
  result.key = Secret(decoded.bytes().first(k_psk_size));
  result.key_end = key_end;
  result.decoded_extra = n > k_psk_size;
  return result;
}

}  // namespace keyd::domain::detail
