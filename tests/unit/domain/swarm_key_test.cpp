// SwarmKey: construction, canonical text, fingerprint vectors, generation.
#include "keyd/domain/swarm_key.hpp"
#include "key_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <set>

namespace keyd::domain {
namespace {

using test::KeyBytes;

SwarmKey key_from(std::span<const std::uint8_t> bytes) {
  auto key = SwarmKey::from_bytes(bytes);
  EXPECT_TRUE(key.has_value());
  return std::move(key).value();
}

TEST(SwarmKeyTest, FingerprintMatchesKuboForAllZeroKey) {
  const KeyBytes zeros{};
  EXPECT_EQ(key_from(zeros).fingerprint().hex(), "708a75afd05affb08736cbf17c73773e");
}

TEST(SwarmKeyTest, FingerprintMatchesKuboForCountingKey) {
  KeyBytes counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(key_from(counting).fingerprint().hex(), "41dfbf48d882a8ee665983adfa7a48f7");
}

TEST(SwarmKeyTest, FingerprintIsDeterministicAndKeyDependent) {
  const SwarmKey a = key_from(test::fake_key());
  KeyBytes other = test::fake_key();
  other[31] ^= 1U;
  EXPECT_EQ(a.fingerprint(), a.clone().fingerprint());
  EXPECT_NE(a.fingerprint(), key_from(other).fingerprint());
  EXPECT_EQ(a.fingerprint().hex().size(), 32U);
}

TEST(SwarmKeyTest, CanonicalTextIsByteForByteTheCanonicalForm) {
  const KeyBytes bytes = test::fake_key();
  const Secret text = key_from(bytes).canonical_text();
  const std::string expected = "/key/swarm/psk/1.0.0/\n/base16/\n" + test::hex_lower(bytes) + "\n";
  EXPECT_EQ(text.reveal_text(), expected);
  EXPECT_EQ(text.size(), 96U);
}

TEST(SwarmKeyTest, CanonicalTextUsesLowercaseHex) {
  KeyBytes bytes{};
  bytes.fill(0xAB);
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  EXPECT_EQ(key_from(bytes).canonical_text().reveal_text(), "/key/swarm/psk/1.0.0/\n/base16/\n" + hex + "\n");
}

TEST(SwarmKeyTest, CanonicalTextParsesBackWithoutWarnings) {
  const SwarmKey key = key_from(test::fake_key());
  auto parsed = parse_swarm_key(key.canonical_text());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->key, key);
  EXPECT_EQ(parsed->encoding, KeyEncoding::base16);
  EXPECT_TRUE(parsed->warnings.empty());
}

TEST(SwarmKeyTest, FromBytesRequiresExactly32Bytes) {
  for (const std::size_t size : {0UL, 1UL, 16UL, 31UL, 33UL, 64UL}) {
    SCOPED_TRACE(size);
    const std::vector<std::uint8_t> bytes(size, 0x42);
    const auto key = SwarmKey::from_bytes(bytes);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().code, ErrorCode::invalid_input);
    EXPECT_NE(key.error().message.find(std::to_string(size)), std::string::npos);
  }
  const KeyBytes exact = test::fake_key();
  const auto key = SwarmKey::from_bytes(exact);
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(std::ranges::equal(key->bytes(), exact));
}

TEST(SwarmKeyTest, CloneAndEqualityCompareBytes) {
  const SwarmKey a = key_from(test::fake_key());
  const SwarmKey b = a.clone();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.bytes().data(), b.bytes().data());
  KeyBytes other = test::fake_key();
  other[0] ^= 0x80U;
  EXPECT_FALSE(a == key_from(other));
}

TEST(SwarmKeyTest, GeneratedKeysAreDistinctStrongAndRoundTrip) {
  std::set<std::string> fingerprints;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_swarm_key();
    ASSERT_TRUE(key.has_value()) << key.error().message;
    ASSERT_EQ(key->bytes().size(), k_psk_size);
    EXPECT_TRUE(check_key_strength(*key).has_value());
    auto parsed = parse_and_validate(key->canonical_text());
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->key, *key);
    EXPECT_TRUE(parsed->warnings.empty());
    fingerprints.insert(key->fingerprint().hex());
  }
  EXPECT_EQ(fingerprints.size(), 200U);
}

TEST(SwarmKeyTest, EncodingNames) {
  EXPECT_EQ(to_string(KeyEncoding::base16), "base16");
  EXPECT_EQ(to_string(KeyEncoding::base64), "base64");
  EXPECT_EQ(to_string(KeyEncoding::bin), "bin");
}

}  // namespace
}  // namespace keyd::domain
