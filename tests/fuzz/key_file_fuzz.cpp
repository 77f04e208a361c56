// Key file parsing and the strength check (keyd/domain/parse.cpp, strength.cpp).
// Asserts: whatever parse_swarm_key accepts has 32 key bytes; its canonical text parses back to the
// same key, as base16 with no warnings, and is exactly that text again (parse → serialize → parse);
// parse_and_validate agrees with parse + check_key_strength; no warning or error quotes key material
// (no 16-hex-digit run of the key in any message).
#include "fuzz_check.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <string>

namespace {


bool quotes_key(std::string_view message, const std::string& key_hex) {
  for (std::size_t at = 0; at + 16 <= key_hex.size(); at += 8) {
    if (message.find(key_hex.substr(at, 16)) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyd;
  const auto file = Secret(std::span(data, size));
  auto parsed = domain::parse_swarm_key(file);
  const auto validated = domain::parse_and_validate(file);
  if (!parsed) {
    FUZZ_CHECK(!validated);
    FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  const auto& key = parsed->key;
  FUZZ_CHECK(key.bytes().size() == domain::k_psk_size);
  const auto key_hex = fuzz::hex(key.bytes());
  for (const auto& warning : parsed->warnings) FUZZ_CHECK(!quotes_key(warning, key_hex));

  const auto canonical = key.canonical_text();
  FUZZ_CHECK(canonical.reveal_text() == std::string(domain::k_psk_header) + "\n/base16/\n" + key_hex + "\n");
  const auto again = domain::parse_swarm_key(canonical);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->key == key);
  FUZZ_CHECK(again->encoding == domain::KeyEncoding::base16);
  FUZZ_CHECK(again->warnings.empty());
  FUZZ_CHECK(again->key.canonical_text() == canonical);
  FUZZ_CHECK(again->key.fingerprint() == key.fingerprint());

  const auto strength = domain::check_key_strength(key);
  FUZZ_CHECK(strength.has_value() == validated.has_value());
  if (validated) {
    FUZZ_CHECK(validated->key == key);
  } else {
    FUZZ_CHECK(!quotes_key(validated.error().message, key_hex));
  }
  return 0;
}
