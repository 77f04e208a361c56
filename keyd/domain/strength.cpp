// Weak-key detection: patterns no CSPRNG produces, but people and placeholder manifests do.
#include "keyd/domain/swarm_key.hpp"

#include <algorithm>
#include <array>

namespace keyd::domain {

namespace {

// A random 32-byte key has about 30 distinct byte values; fewer than 16 happens with probability
// ~3e-17, so this only catches hand-made keys.
inline constexpr std::size_t k_min_distinct_bytes = 16;
// Keys that repeat a pattern of this many bytes or fewer (e.g. two equal halves) are rejected.
inline constexpr std::size_t k_max_pattern_period = k_psk_size / 2;

using Bytes = std::span<const std::uint8_t>;

bool all_same(Bytes key) {
  return std::ranges::all_of(key, [&](std::uint8_t b) { return b == key[0]; });
}

// 0,1,2,...; 0x1f,0x1e,...; 7,14,21,...: a constant step between neighbours (mod 256).
bool counting_sequence(Bytes key) {
  const auto step = static_cast<std::uint8_t>(key[1] - key[0]);
  for (std::size_t i = 2; i < key.size(); ++i) {
    if (static_cast<std::uint8_t>(key[i] - key[i - 1]) != step) return false;
  }
  return true;
}

bool short_repeating_pattern(Bytes key) {
  for (std::size_t period = 1; period <= k_max_pattern_period; ++period) {
    if (std::equal(key.begin() + static_cast<std::ptrdiff_t>(period), key.end(), key.begin())) return true;
  }
  return false;
}

std::size_t distinct_bytes(Bytes key) {
  std::array<std::uint8_t, 256> seen{};  // which values occur says something about the key: wiped
  std::size_t count = 0;
  for (const std::uint8_t b : key) {
    if (seen[b] == 0) {
      seen[b] = 1;
      ++count;
    }
  }
  secure_zero(seen.data(), seen.size());
  return count;
}

// A passphrase typed as the key: probability ~2e-14 for random bytes.
bool all_printable_ascii(Bytes key) {
  return std::ranges::all_of(key, [](std::uint8_t b) { return b >= 0x20 && b <= 0x7e; });
}

}  // namespace

Status check_key_strength(const SwarmKey& key) {
  const Bytes bytes = key.bytes();
  if (bytes.size() != k_psk_size) return fail(ErrorCode::invalid_input, "weak key: not 32 bytes");
  if (all_same(bytes)) return fail(ErrorCode::invalid_input, "weak key: every byte has the same value");
  if (counting_sequence(bytes)) {
    return fail(ErrorCode::invalid_input, "weak key: the bytes form a simple counting sequence");
  }
  if (short_repeating_pattern(bytes)) {
    return fail(ErrorCode::invalid_input, "weak key: the bytes repeat a short pattern");
  }
  if (distinct_bytes(bytes) < k_min_distinct_bytes) {
    return fail(ErrorCode::invalid_input, "weak key: too few distinct byte values for a random key");
  }
  if (all_printable_ascii(bytes)) {
    return fail(ErrorCode::invalid_input,
                "weak key: every byte is printable ASCII, so it looks like a password rather than random bytes");
  }
  return {};
}

}  // namespace keyd::domain
