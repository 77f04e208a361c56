// Finding swarm keys in arbitrary text (source files, manifests, diffs): where a key is, how it is
// written and its fingerprint — never the key. Pure: no I/O, no logs.
//
// What counts as a key (each decoded and checked by parse_swarm_key, so only what a libp2p parser
// would take is reported):
//   - key file text anywhere in the input: the header /key/swarm/psk/<version>/, a codec
//     (/base16/, /base64/, /bin/, any case) and the key, separated by line breaks (LF, CRLF, an
//     escaped "\n" inside a quoted string), indentation, quotes, commas, '#' or '+' — so YAML block
//     scalars, JSON strings, heredocs, commented-out lines and string concatenations all match;
//   - standard base64 of such a file, starting at the file's first byte (a Kubernetes Secret's
//     `data:`, the output of `base64 swarm.key`, also wrapped over lines);
//   - a bare value of exactly 64 hex digits on a line that labels it as a swarm key before the value
//     (swarm.key, swarm_key, SWARM_KEY, swarmKey, "swarm key", psk, ...), unless that line calls it
//     a hash (sha, hash, digest, checksum, integrity, fingerprint). Unlabelled 64-hex values (lock
//     file checksums, commit ids) are not reported.
#pragma once

#include "keyd/domain/swarm_key.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::domain {

// How a found key is written.
enum class FoundAs {
  key_file,         // swarm.key text (encoding says which codec)
  base64_key_file,  // base64 of swarm.key text
  labelled_hex,     // 64 hex digits labelled as a swarm key
};

struct KeyFinding {
  std::size_t line = 0;    // 1-based line where the key's own characters start
  std::size_t offset = 0;  // byte offset of the same place
  FoundAs found_as = FoundAs::key_file;
  KeyEncoding encoding = KeyEncoding::base16;  // the codec of the key file (base16 for labelled hex)
  Fingerprint fingerprint;
  bool weak = false;  // check_key_strength rejects it (all-zero placeholder, repeated byte, ...)
};

// "base16", "base64", "bin" (key files), "base64 key file", "labelled hex".
[[nodiscard]] std::string describe_encoding(const KeyFinding& finding);

// Every key in `text`, ordered by offset; one finding per place (a key file whose hex line is also
// labelled is reported once, as a key file). Sublinear in the common case: it searches for the
// header, the base64 of the header and runs of 64+ hex digits, and looks closer only there.
[[nodiscard]] std::vector<KeyFinding> scan_for_keys(std::span<const std::uint8_t> text);
[[nodiscard]] std::vector<KeyFinding> scan_for_keys(std::string_view text);

// A scan allowlist (`.keyd-scan-allow`): one Kubo fingerprint (32 hex digits) per line, followed by
// "# <reason>" saying why that key may appear (a public test vector, a fixture). Blank lines and lines
// starting with '#' are comments. Returns the fingerprints in lowercase; invalid_input naming the
// first bad line otherwise (a missing reason is an error: every exception must say why).
[[nodiscard]] Result<std::set<std::string>> parse_scan_allowlist(std::string_view text);

}  // namespace keyd::domain
