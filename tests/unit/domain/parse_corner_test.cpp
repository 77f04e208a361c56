// Corners of go-libp2p's DecodeV1PSK beyond the reference table, and the wording of rejections.
#include "key_fixtures.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::domain {
namespace {

using test::key_file;

Result<ParsedKey> parse(const std::string& text) { return parse_swarm_key(test::as_bytes(text)); }

bool has_warning(const ParsedKey& parsed, std::string_view needle) {
  return std::ranges::any_of(parsed.warnings,
                             [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

void expect_rejected(const std::string& text, std::string_view needle) {
  const auto result = parse(text);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find(needle), std::string::npos) << result.error().message;
}

void expect_key(const Result<ParsedKey>& result, const test::KeyBytes& key) {
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(std::ranges::equal(result->key.bytes(), key));
}

TEST(ParseCornerTest, SecretAndSpanOverloadsAgree) {
  const std::string text = key_file("/base16/", test::hex_lower(test::fake_key()) + "\n");
  auto from_secret = parse_swarm_key(Secret::from_text(text));
  auto from_span = parse(text);
  ASSERT_TRUE(from_secret.has_value() && from_span.has_value());
  EXPECT_EQ(from_secret->key, from_span->key);
}

TEST(ParseCornerTest, MissingLinesAreUnexpectedEof) {
  expect_rejected("", "unexpected EOF: line 1");
  expect_rejected("/key/swarm/psk/1.0.0/", "unexpected EOF: line 1");
  expect_rejected("/key/swarm/psk/1.0.0/\n/base16/", "unexpected EOF: line 2");
  expect_rejected("/key/swarm/psk/1.0.0/\r/base16/\r", "CR-only line endings are not supported");
  expect_rejected(key_file("/base16/", ""), "expected 32 byte PSK, got 0 (unexpected EOF)");
}

TEST(ParseCornerTest, EveryCarriageReturnBeforeTheLineFeedIsDropped) {
  // Go trims the cutset "\r\n", so several CRs before the LF still match the header.
  const auto key = test::fake_key();
  const auto result = parse("/key/swarm/psk/1.0.0/\r\r\n/base16/\r\n" + test::hex_lower(key) + "\r\n");
  expect_key(result, key);
  EXPECT_TRUE(has_warning(*result, "CR LF"));
}

TEST(ParseCornerTest, CodecNamesAreCaseSensitive) { expect_rejected(key_file("/BASE16/", ""), "unknown encoding"); }

TEST(ParseCornerTest, HexErrorsNamePositionButNotTheByte) {
  std::string hex = test::hex_lower(test::fake_key());
  hex[9] = 'g';
  expect_rejected(key_file("/base16/", hex + "\n"), "invalid hex byte at line 3, column 10");
  const auto result = parse(key_file("/base16/", hex + "\n"));
  EXPECT_EQ(result.error().message.find('g', result.error().message.find("column")), std::string::npos);
}

TEST(ParseCornerTest, OddNumberOfHexDigitsAtEof) {
  const std::string hex = test::hex_lower(test::fake_key());
  expect_rejected(key_file("/base16/", hex.substr(0, 63)), "odd number of hex digits");
  expect_rejected(key_file("/base16/", hex.substr(0, 63) + "\n"), "expected 32 byte PSK, got 31");
}

TEST(ParseCornerTest, ExtraCharactersOnTheKeyLineAreAcceptedWithAWarning) {
  const auto key = test::fake_key();
  const auto result = parse(key_file("/base16/", test::hex_lower(key) + " # production key\n"));
  expect_key(result, key);
  EXPECT_TRUE(has_warning(*result, "extra characters"));
}

TEST(ParseCornerTest, BlankOrWhitespaceLinesAfterTheKeyAreNotWarnedAbout) {
  const auto key = test::fake_key();
  const auto result = parse(key_file("/base16/", test::hex_lower(key) + "\n  \n\t\n\n"));
  expect_key(result, key);
  EXPECT_TRUE(result->warnings.empty());
}

TEST(ParseCornerTest, Base64SplitOverLinesIsAcceptedLikeGo) {
  const auto key = test::fake_key();
  const std::string b64 = test::base64_padded(key);
  const auto result = parse(key_file("/base64/", b64.substr(0, 20) + "\r\n" + b64.substr(20) + "\r\n"));
  expect_key(result, key);
  EXPECT_EQ(result->encoding, KeyEncoding::base64);
  EXPECT_TRUE(has_warning(*result, "split over several lines"));
  EXPECT_TRUE(has_warning(*result, "CR LF"));
}

TEST(ParseCornerTest, Base64Of33BytesUsesTheFirst32) {
  const auto key = test::fake_key();
  std::vector<std::uint8_t> longer(key.begin(), key.end());
  longer.push_back(0x77);
  const auto result = parse(key_file("/base64/", test::base64_padded(longer) + "\n"));
  expect_key(result, key);
  EXPECT_TRUE(has_warning(*result, "longer than 32 bytes"));
}

TEST(ParseCornerTest, Base64PaddingInsideAChunkIsRejected) {
  const auto key = test::fake_key();
  const std::span<const std::uint8_t> bytes(key);
  // "xy==" as the 2nd group: Go decodes the first 40 characters as one chunk and finds data after it.
  const std::string text = test::base64_padded(bytes.first(4)) + test::base64_padded(bytes.subspan(4));
  expect_rejected(key_file("/base64/", text + "\n"), "unexpected data after base64 padding at line 3, column 9");
  expect_rejected(key_file("/base64/", "A===" + text), "incorrect base64 padding at line 3, column 2");
  expect_rejected(key_file("/base64/", " " + text), "invalid base64 byte at line 3, column 1 (a space)");
}

TEST(ParseCornerTest, Base64PaddingThatEndsAChunkIsAcceptedLikeGo) {
  // Go reads 40 characters first; a padded group ending exactly there is followed by fresh reads.
  const auto key = test::fake_key();
  const std::span<const std::uint8_t> bytes(key);
  const std::array<std::uint8_t, 3> last{key[31], 0x01, 0x02};
  const std::string text =
      test::base64_padded(bytes.first(28)) + test::base64_padded(bytes.subspan(28, 3)) + test::base64_padded(last);
  ASSERT_EQ(test::base64_padded(bytes.first(28)).size(), 40U);
  const auto result = parse(key_file("/base64/", text + "\n"));
  expect_key(result, key);
}

TEST(ParseCornerTest, BinKeysMayContainLineBreakBytes) {
  test::KeyBytes key = test::fake_key();
  key[0] = '\n';
  key[5] = '\r';
  key[31] = '\n';
  const auto result = parse(key_file("/bin/", test::as_string(key)));
  expect_key(result, key);
  EXPECT_EQ(result->warnings.size(), 1U) << ::testing::PrintToString(result->warnings);
}

TEST(ParseCornerTest, BinTailAndShortKeys) {
  const auto key = test::fake_key();
  const std::string raw = test::as_string(key);
  auto with_newline = parse(key_file("/bin/", raw + "\n"));
  expect_key(with_newline, key);
  EXPECT_EQ(with_newline->warnings.size(), 1U);
  auto with_more = parse(key_file("/bin/", raw + "extra"));
  expect_key(with_more, key);
  EXPECT_TRUE(has_warning(*with_more, "bytes after the 32 key bytes"));
  expect_rejected(key_file("/bin/", raw.substr(0, 31)), "expected 32 byte PSK, got 31");
}

TEST(ParseCornerTest, ParseAndValidateRejectsTheAllZeroPlaceholder) {
  const std::string zeros(64, '0');
  const Secret file = Secret::from_text(key_file("/base16/", zeros + "\n"));
  ASSERT_TRUE(parse_swarm_key(file).has_value());
  const auto result = parse_and_validate(file);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  EXPECT_TRUE(result.error().message.starts_with("weak key:")) << result.error().message;
}

TEST(ParseCornerTest, ParseAndValidatePassesParseErrorsThrough) {
  const auto result = parse_and_validate(Secret::from_text("garbage"));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("unexpected EOF"), std::string::npos);
}

}  // namespace
}  // namespace keyd::domain
