// The audit trail's line format and hash chain, shared by append (audit_file.cpp) and verify
// (audit_verify.cpp).
//
// One compact JSON object per line (keys in this order; swarm, version, fingerprint, error and
// target are omitted when empty/absent):
//   {"seq":3,"time":"…Z","actor":"alice","action":"rotate","swarm":"ipfs-overlay","version":4,
//    "fingerprint":"…","outcome":"success","detail":"…","prev":"<sha256 hex of line 2's bytes, without '\n'>"}
// "seq" is the 1-based entry number, "prev" is 64 zeros for the first entry. An entry written over
// a torn line also carries "after_torn_line":true (see audit_file.cpp).
//
// "<file>.head" holds {"seq":N,"hash":"<sha256 of line N>"} for the last entry, so that removing
// entries from the end is detected. The head may lag by one entry (a crash between the append and
// the head update); that is accepted.
#pragma once

#include "keyd/common/digest.hpp"  // the links: sha256_hex of a line's bytes
#include "keyd/common/result.hpp"
#include "keyd/ports/audit_log.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keyd::adapters::detail {

// The link before the first entry: 64 zeros. Built at run time, never written as a literal: the
// binary must hold nothing key-shaped (the installed keyd is scanned by ctest install.layout).
inline constexpr std::size_t k_hash_digits = 64;
inline std::string genesis_hash() { return std::string(k_hash_digits, '0'); }

// What the chain needs from one line: its number, its link back, and whether it marks a repair.
struct Link {
  std::int64_t seq = 0;
  std::string prev;
  bool after_torn = false;
};

enum class LineKind { entry, not_json, not_entry };

struct ParsedLine {
  LineKind kind = LineKind::not_json;
  Link link;
};

[[nodiscard]] ParsedLine parse_line(std::string_view line);

// 64 lowercase hex digits: a link, a head's hash.
[[nodiscard]] bool is_hash(std::string_view s);

// internal when a field of the event holds a key path (/key/swarm/psk/...): entries never hold key material.
[[nodiscard]] Status refuse_key_material(const ports::AuditEvent& e);

// The event fields of an entry line (nullopt when the line is not a JSON object).
[[nodiscard]] std::optional<ports::AuditEvent> parse_event(std::string_view line);

// The line for an event (without its '\n').
[[nodiscard]] std::string format_line(const ports::AuditEvent& e, std::int64_t seq, const std::string& prev,
                                      bool after_torn);

// The last complete, valid entry of the chain (seq 0 and the genesis hash when there is none).
struct ChainEnd {
  std::int64_t seq = 0;
  std::string hash = genesis_hash();
  std::string prev = genesis_hash();
};

struct Head {
  std::int64_t seq = 0;
  std::string hash;
};

[[nodiscard]] std::filesystem::path with_suffix(const std::filesystem::path& file, std::string_view suffix);

// nullopt when the head file does not exist; integrity when it is not a valid head.
[[nodiscard]] Result<std::optional<Head>> read_head(const std::filesystem::path& head_file);

// The head file's contents (with its '\n') for entry `seq` whose line is `line`.
[[nodiscard]] std::string format_head(std::int64_t seq, std::string_view line);

// The most entries one append writes at once (a group commit of concurrent appends, one write and
// one fsync): a crash between that fsync and the head update leaves the head this far behind.
inline constexpr std::int64_t k_max_group_entries = 64;

// The hash of entry `seq` when the caller can tell (nullopt otherwise): how a head lagging by more
// than one entry is checked.
using HashOfEntry = std::function<std::optional<std::string>(std::int64_t seq)>;

// Compares the head file with the end of the chain. Empty when consistent: the head records the
// last entry, or an entry at most k_max_group_entries before it whose hash `hash_of` confirms (the
// entry before the last is confirmed by end.prev). `last` names the last entry ("line 7" in verify;
// append only knows its seq).
[[nodiscard]] std::string head_problem(const std::optional<Head>& head, const ChainEnd& end,
                                       const std::filesystem::path& head_file, const std::string& last,
                                       const HashOfEntry& hash_of = {});

}  // namespace keyd::adapters::detail
