// Secret: redacted formatting, explicit copies, wiping.
#include "keyd/common/secret.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <string>
#include <type_traits>

namespace keyd {
namespace {

constexpr std::string_view k_fake = "not-a-real-key-just-test-bytes";

TEST(SecretTest, FmtPrintsRedacted) {
  const Secret secret = Secret::from_text(k_fake);
  EXPECT_EQ(fmt::format("{}", secret), "<redacted>");
  EXPECT_EQ(fmt::format("key={}!", secret), "key=<redacted>!");
}

TEST(SecretTest, StreamPrintsRedacted) {
  const Secret secret = Secret::from_text(k_fake);
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "<redacted>");
  EXPECT_EQ(out.str().find("real"), std::string::npos);
}

TEST(SecretTest, EmptySecretAlsoPrintsRedacted) {
  std::ostringstream out;
  out << Secret{};
  EXPECT_EQ(out.str(), "<redacted>");
  EXPECT_EQ(fmt::format("{}", Secret{}), "<redacted>");
}

TEST(SecretTest, HoldsBytesAndText) {
  const std::array<std::uint8_t, 3> bytes{1, 2, 3};
  const Secret secret(bytes);
  EXPECT_EQ(secret.size(), 3U);
  EXPECT_TRUE(std::ranges::equal(secret.bytes(), bytes));
  EXPECT_EQ(Secret::from_text(k_fake).reveal_text(), k_fake);
}

TEST(SecretTest, CloneIsAnEqualIndependentCopy) {
  Secret a = Secret::from_text(k_fake);
  const Secret b = a.clone();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.bytes().data(), b.bytes().data());
  a.mutable_bytes()[0] ^= 1U;
  EXPECT_FALSE(a == b);
}

TEST(SecretTest, MoveLeavesTheSourceEmpty) {
  Secret a = Secret::from_text(k_fake);
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(b.reveal_text(), k_fake);
  Secret c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.reveal_text(), k_fake);
}

TEST(SecretTest, WipeAndResize) {
  Secret secret = Secret::from_text("abcdef");
  secret.resize(3);
  EXPECT_EQ(secret.reveal_text(), "abc");
  secret.resize(40);
  EXPECT_EQ(secret.size(), 40U);
  EXPECT_EQ(secret.reveal_text().substr(0, 3), "abc");
  EXPECT_EQ(secret.bytes()[39], 0);
  secret.wipe();
  EXPECT_TRUE(secret.empty());
}

TEST(SecretTest, SecureZeroZeroes) {
  std::array<std::uint8_t, 16> buffer{};
  buffer.fill(0xAA);
  secure_zero(buffer.data(), buffer.size());
  EXPECT_TRUE(std::ranges::all_of(buffer, [](std::uint8_t b) { return b == 0; }));
  secure_zero(nullptr, 0);
}

TEST(SecretTest, EqualityComparesSizeAndContent) {
  EXPECT_EQ(Secret::from_text("abc"), Secret::from_text("abc"));
  EXPECT_FALSE(Secret::from_text("abc") == Secret::from_text("abd"));
  EXPECT_FALSE(Secret::from_text("abc") == Secret::from_text("abcd"));
  EXPECT_EQ(Secret{}, Secret{});
}

}  // namespace
}  // namespace keyd

namespace keyd {
namespace {

// Compile-time guarantees: no implicit copies, no conversion to any string type.
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(!std::is_convertible_v<Secret, std::string>);
static_assert(!std::is_convertible_v<Secret, std::string_view>);
static_assert(!std::is_constructible_v<std::string, Secret>);
static_assert(!std::is_convertible_v<std::string, Secret>);  // creation is explicit too

}  // namespace
}  // namespace keyd
