// Internals of scan_for_keys shared by scan.cpp (the driver and labelled hex) and scan_key_file.cpp
// (key file text and its base64). Not a public API.
#pragma once

#include "keyd/common/secret.hpp"
#include "keyd/domain/scan.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

namespace keyd::domain::detail {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::string_view k_header_anchor = "/key/swarm/psk/";
// Standard base64 of "/key/swarm/psk/" (15 bytes, so 20 characters that do not depend on what follows).
inline constexpr std::string_view k_base64_header_anchor = "L2tleS9zd2FybS9wc2sv";

// A key file rebuilt in canonical layout from what was found, ready for parse_swarm_key.
struct Candidate {
  Secret text;
  std::size_t key_offset = 0;  // where the key's own characters start in the scanned input
};

// The key file whose header starts at `at` (text[at..] begins with k_header_anchor), if the codec line
// and a key body follow it. Does not judge validity: the caller parses the candidate.
[[nodiscard]] std::optional<Candidate> key_file_at(Bytes text, std::size_t at);

// The base64 run starting at `at` (text[at..] begins with k_base64_header_anchor), decoded; its
// `key_offset` is `at`. Lines wrapped the way base64(1) and openssl wrap them are joined.
[[nodiscard]] std::optional<Secret> decode_base64_run(Bytes text, std::size_t at);

// Parse a candidate; nullopt unless parse_swarm_key accepts it.
[[nodiscard]] std::optional<KeyFinding> judge(const Candidate& candidate, FoundAs found_as);

// Every occurrence of `needle` in `text`, in order (memmem: sublinear on typical input).
template <typename F>
void for_each_occurrence(Bytes text, std::string_view needle, F&& visit);

// A Secret holding the concatenation of `parts`.
[[nodiscard]] Secret concat(std::initializer_list<Bytes> parts);

[[nodiscard]] inline Bytes as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace keyd::domain::detail

#include <cstring>

template <typename F>
void keyd::domain::detail::for_each_occurrence(Bytes text, std::string_view needle, F&& visit) {
  std::size_t from = 0;
  while (from + needle.size() <= text.size()) {
    const void* hit = ::memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
    if (hit == nullptr) return;
    const auto at = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - text.data());
    visit(at);
    from = at + 1;
  }
}
