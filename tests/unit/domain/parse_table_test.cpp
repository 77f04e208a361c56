// Every row of shared/reference/swarm-key.md's parser table: go-libp2p's verdict, and a warning
// wherever js-libp2p rejects an input go-libp2p accepts. Also proves no message quotes the key.
#include "key_fixtures.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::domain {
namespace {

using test::key_file;

struct Row {
  std::string reason;  // the table row this case reproduces
  std::string input;
  bool go_accepts;
  bool js_accepts;
  // Accepted: a substring of the expected warning ("" = no warning at all).
  // Rejected: a substring of the error message.
  std::string expect;
  KeyEncoding encoding = KeyEncoding::base16;
};

std::vector<Row> table_rows(const test::KeyBytes& key) {
  const std::string hex = test::hex_lower(key);
  const std::string b64 = test::base64_padded(key);
  const std::string hdr = "/key/swarm/psk/1.0.0/";
  std::vector<std::uint8_t> longer(key.begin(), key.end());
  longer.push_back(0x5a);
  return {
      {"LF with trailing newline (canonical)", key_file("/base16/", hex + "\n"), true, true, ""},
      {"LF without trailing newline", key_file("/base16/", hex), true, true, ""},
      {"LF with several trailing newlines", key_file("/base16/", hex + "\n\n\n"), true, true, ""},
      {"CRLF line endings", hdr + "\r\n/base16/\r\n" + hex + "\r\n", true, true, "CR LF"},
      {"CR-only line endings", hdr + "\r/base16/\r" + hex + "\r", false, true, "unexpected EOF"},
      {"uppercase hex", key_file("/base16/", test::hex_upper(key) + "\n"), true, true, "uppercase"},
      {"/base64/ padded", key_file("/base64/", b64 + "\n"), true, false, "base64", KeyEncoding::base64},
      {"/base64/ unpadded", key_file("/base64/", test::base64_unpadded(key) + "\n"), false, false,
       "expected 32 byte PSK, got 30"},
      {"/bin/ + 32 raw bytes", key_file("/bin/", test::as_string(key)), true, false, "raw binary", KeyEncoding::bin},
      {"trailing space after the hex", key_file("/base16/", hex + " \n"), true, false, "trailing whitespace"},
      {"leading space before the hex", key_file("/base16/", " " + hex + "\n"), false, false,
       "invalid hex byte at line 3, column 1 (a space)"},
      {"trailing space on the header line", hdr + " \n/base16/\n" + hex + "\n", false, true,
       "expected file header /key/swarm/psk/1.0.0/"},
      {"trailing space on the codec line", key_file("/base16/ ", hex + "\n"), false, true,
       "unknown encoding on line 2"},
      {"header /key/swarm/psk/2.0.0/", "/key/swarm/psk/2.0.0/\n/base16/\n" + hex + "\n", false, true,
       "unsupported PSK version"},
      {"unknown codec /base32/", key_file("/base32/", hex + "\n"), false, true, "unknown encoding on line 2"},
      {"31-byte key", key_file("/base16/", hex.substr(0, 62) + "\n"), false, false, "expected 32 byte PSK, got 31"},
      {"33-byte key (go uses the first 32)", key_file("/base16/", test::hex_lower(longer) + "\n"), true, false,
       "longer than 32 bytes"},
      {"junk line after the key", key_file("/base16/", hex + "\nnot part of the key\n"), true, true,
       "data after the key"},
      {"hex split over two lines", key_file("/base16/", hex.substr(0, 32) + "\n" + hex.substr(32) + "\n"), false, false,
       "expected 32 byte PSK, got 16"},
      {"blank line after the header", hdr + "\n\n/base16/\n" + hex + "\n", false, false, "line 2 is blank"},
      {"blank line after the codec line", key_file("/base16/", "\n" + hex + "\n"), false, false,
       "expected 32 byte PSK, got 0"},
      {"indented key", key_file("/base16/", "    " + hex + "\n"), false, false, "invalid hex byte at line 3, column 1"},
      {"indented header", "  " + hdr + "\n/base16/\n" + hex + "\n", false, false, "leading or trailing whitespace"},
      {"bare hex, no header", hex + "\n", false, false, "bare key"},
      {"UTF-8 BOM", "\xEF\xBB\xBF" + key_file("/base16/", hex + "\n"), false, true, "byte order mark"},
  };
}

// Everything a parse tells the user: the error, or the warnings.
std::vector<std::string> messages_of(const Result<ParsedKey>& result) {
  if (!result) return {result.error().message};
  return result->warnings;
}

bool any_contains(const std::vector<std::string>& messages, std::string_view needle) {
  return std::ranges::any_of(messages, [&](const std::string& m) { return m.find(needle) != std::string::npos; });
}

void check_rows(const test::KeyBytes& key) {
  for (const Row& row : table_rows(key)) {
    SCOPED_TRACE(row.reason);
    const auto result = parse_swarm_key(test::as_bytes(row.input));
    ASSERT_EQ(result.has_value(), row.go_accepts) << (result ? "accepted" : result.error().message);
    if (!row.go_accepts) {
      EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
      EXPECT_NE(result.error().message.find(row.expect), std::string::npos) << result.error().message;
      continue;
    }
    EXPECT_TRUE(std::ranges::equal(result->key.bytes(), key));
    EXPECT_EQ(result->encoding, row.encoding);
    if (!row.js_accepts) {
      EXPECT_FALSE(result->warnings.empty()) << "js-libp2p rejects this form: warn";
    }
    if (row.expect.empty()) {
      EXPECT_TRUE(result->warnings.empty()) << result->warnings.front();
    } else {
      EXPECT_TRUE(any_contains(result->warnings, row.expect)) << ::testing::PrintToString(result->warnings);
    }
  }
}

TEST(ParseTableTest, EveryRowWithTheFixedFakeKey) { check_rows(test::fake_key()); }

TEST(ParseTableTest, EveryRowWithGeneratedKeys) {
  for (int i = 0; i < 25; ++i) {
    auto key = generate_swarm_key();
    ASSERT_TRUE(key.has_value());
    test::KeyBytes bytes{};
    std::ranges::copy(key->bytes(), bytes.begin());
    check_rows(bytes);
  }
}

TEST(ParseTableTest, WarningsAreOneSentenceEach) {
  for (const Row& row : table_rows(test::fake_key())) {
    SCOPED_TRACE(row.reason);
    for (const std::string& w : messages_of(parse_swarm_key(test::as_bytes(row.input)))) {
      EXPECT_FALSE(w.empty());
      EXPECT_EQ(w.find('\n'), std::string::npos) << w;
    }
  }
}

void expect_no_key_material(const test::KeyBytes& key) {
  const std::string hex = test::hex_lower(key);
  const std::string upper = test::hex_upper(key);
  const std::string b64 = test::base64_padded(key);
  const std::string raw = test::as_string(key);
  for (const Row& row : table_rows(key)) {
    SCOPED_TRACE(row.reason);
    const auto messages = messages_of(parse_swarm_key(test::as_bytes(row.input)));
    for (const std::string& m : messages) {
      EXPECT_FALSE(test::contains_any_window(m, hex, 8)) << m;
      EXPECT_FALSE(test::contains_any_window(m, upper, 8)) << m;
      EXPECT_FALSE(test::contains_any_window(m, b64, 8)) << m;
      EXPECT_FALSE(test::contains_any_window(m, raw, 8)) << m;
    }
  }
}

TEST(ParseTableTest, NoMessageQuotesTheKey) {
  expect_no_key_material(test::fake_key());
  for (int i = 0; i < 25; ++i) {
    auto key = generate_swarm_key();
    ASSERT_TRUE(key.has_value());
    test::KeyBytes bytes{};
    std::ranges::copy(key->bytes(), bytes.begin());
    expect_no_key_material(bytes);
  }
}

}  // namespace
}  // namespace keyd::domain
