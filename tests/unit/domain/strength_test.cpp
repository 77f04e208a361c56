// check_key_strength: trivially weak keys are refused, random ones never are.
#include "key_fixtures.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::domain {
namespace {

using test::KeyBytes;

KeyBytes pattern(auto&& byte_at) {
  KeyBytes key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(byte_at(i));
  return key;
}

struct WeakCase {
  std::string reason;
  KeyBytes key;
  std::string expect;
};

TEST(StrengthTest, TriviallyWeakKeysAreRejected) {
  const std::string passphrase = "correct horse battery staple 42!";
  ASSERT_EQ(passphrase.size(), 32U);
  const std::vector<WeakCase> cases = {
      {"all zero (the ipfs-overlay placeholder)", KeyBytes{}, "same value"},
      {"one repeated byte", pattern([](std::size_t) { return 0xA5; }), "same value"},
      {"0x00..0x1f (the fingerprint test vector)", pattern([](std::size_t i) { return i; }), "counting sequence"},
      {"descending", pattern([](std::size_t i) { return 0xff - i; }), "counting sequence"},
      {"step 7 with wrap-around", pattern([](std::size_t i) { return 200 + 7 * i; }), "counting sequence"},
      {"two equal halves", pattern([](std::size_t i) { return ((i % 16) * 37 + 11) & 0xff; }), "short pattern"},
      {"alternating two bytes", pattern([](std::size_t i) { return i % 2 == 0 ? 0x13 : 0xC4; }), "short pattern"},
      {"few distinct values", pattern([](std::size_t i) { return (i * i * 5 + i / 3) % 7 * 31; }), "distinct"},
      {"a typed passphrase", pattern([&](std::size_t i) { return passphrase[i]; }), "printable ASCII"},
  };
  for (const WeakCase& c : cases) {
    SCOPED_TRACE(c.reason);
    auto key = SwarmKey::from_bytes(c.key);
    ASSERT_TRUE(key.has_value());
    const Status status = check_key_strength(*key);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, ErrorCode::invalid_input);
    EXPECT_TRUE(status.error().message.starts_with("weak key: ")) << status.error().message;
    EXPECT_NE(status.error().message.find(c.expect), std::string::npos) << status.error().message;
    EXPECT_FALSE(test::contains_any_window(status.error().message, test::hex_lower(c.key), 6));
    // The fingerprint still works for weak keys (Kubo prints one for any key).
    EXPECT_EQ(key->fingerprint().hex().size(), 32U);
  }
}

TEST(StrengthTest, TheFixedFakeKeyPasses) {
  auto key = SwarmKey::from_bytes(test::fake_key());
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(check_key_strength(*key).has_value());
}

TEST(StrengthTest, RandomKeysPass) {
  for (int i = 0; i < 2000; ++i) {
    auto key = generate_swarm_key();
    ASSERT_TRUE(key.has_value());
    const Status status = check_key_strength(*key);
    ASSERT_TRUE(status.has_value()) << status.error().message;
  }
}

}  // namespace
}  // namespace keyd::domain
