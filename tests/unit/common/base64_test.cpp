// The one base64 home: the strict decoder Kubernetes Secret data needs, the lenient one for pasted
// text (kubeconfig *-data, values files, base64 of a key file found by the scanner), the encoder.
#include "keyd/common/base64.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace keyd {
namespace {

std::string encode(std::string_view text) {
  return std::string(
      base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())).reveal_text());
}

std::optional<std::string> lenient(std::string_view text, Base64Lenient options = {}) {
  auto decoded = base64_decode_lenient(text, options);
  if (!decoded) return std::nullopt;
  return std::string(decoded->reveal_text());
}

TEST(Base64, EncodesRfc4648TestVectors) {
  // RFC 4648 §10.
  for (const auto& [raw, want] : std::initializer_list<std::pair<const char*, const char*>>{{"", ""},
                                                                                            {"f", "Zg=="},
                                                                                            {"fo", "Zm8="},
                                                                                            {"foo", "Zm9v"},
                                                                                            {"foob", "Zm9vYg=="},
                                                                                            {"fooba", "Zm9vYmE="},
                                                                                            {"foobar", "Zm9vYmFy"}}) {
    EXPECT_EQ(encode(raw), want) << raw;
    const auto strict = base64_decode(want);
    ASSERT_TRUE(strict) << want;
    EXPECT_EQ(strict->reveal_text(), raw);
    EXPECT_EQ(lenient(want), raw) << want;
  }
}

TEST(Base64, StrictDecodingWantsWhatAnEncoderWrites) {
  for (const char* bad : {"Zm9", "Zm9vY", "Zm9v!mFy", "Zg==Zg", "Zm 9v"}) {
    const auto got = base64_decode(bad);
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::invalid_input) << bad;
    EXPECT_EQ(got.error().message.find(bad), std::string::npos) << "the text may be key material";
  }
}

TEST(Base64, LenientDecodingTakesWhatPeoplePaste) {
  struct Case {
    const char* why;
    std::string text;
    Base64Lenient options;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases{
      {"padding optional", "Zm9vYg", {}, "foob"},
      {"line breaks, spaces and tabs anywhere", "Zm9v\r\nYm\tFy ", {}, "foobar"},
      {"padding repeated", "Zg===", {}, "f"},
      {"spaces after padding", "Zg== \n", {}, "f"},
      {"data after padding", "Zg==Zg", {}, std::nullopt},
      {"a lone last character makes no byte", "Zm9vY", {}, std::nullopt},
      {"outside the alphabet", "Zm9v$", {}, std::nullopt},
      {"base64url needs the option", "-_-_", {}, std::nullopt},
      {"base64url with the option", "-_-_", {.url_alphabet = true}, "\xfb\xff\xbf"},
      {"both alphabets mixed", "+/-_", {.url_alphabet = true}, "\xfb\xff\xbf"},
      {"vertical tab and form feed only when skipped", "Zm9v\v\fYmFy", {}, std::nullopt},
      {"C whitespace skipped", "Zm9v\v\fYmFy", {.skip = k_c_whitespace}, "foobar"},
  };
  for (const auto& c : cases) EXPECT_EQ(lenient(c.text, c.options), c.want) << c.why;
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string raw = all.substr(0, n);
    const std::string text = encode(raw);
    EXPECT_EQ(base64_decode(text)->reveal_text(), raw) << n;
    EXPECT_EQ(lenient(text), raw) << n;
  }
}

}  // namespace
}  // namespace keyd
