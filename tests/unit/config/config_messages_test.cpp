// What a problem's message may quote of the value it refuses (found by tests/fuzz/config_fuzz): one
// line per problem, no control characters, bounded, and never key material, even when the "config"
// is a swarm.key file or holds a key where a name should be.
#include "keyd/config/bundle_values.hpp"
#include "keyd/config/config.hpp"
#include "keyd/domain/scan.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

std::string key_hex() {
  auto key = domain::generate_swarm_key();
  EXPECT_TRUE(key.has_value());
  std::string hex;
  static constexpr char digits[] = "0123456789abcdef";
  for (const auto b : key->bytes()) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

void expect_fit(const std::string& message, const std::string& source, const std::string& hex) {
  std::size_t start = 0;
  while (start <= message.size()) {
    const auto end = std::min(message.find('\n', start), message.size());
    EXPECT_EQ(message.compare(start, source.size(), source), 0) << message;
    EXPECT_LE(end - start, 1200U) << message;
    start = end + 1;
  }
  EXPECT_EQ(message.find(hex.substr(0, 24)), std::string::npos) << "a key is quoted";
  EXPECT_TRUE(domain::scan_for_keys(message).empty());
}

TEST(ConfigMessages, AKeyFileGivenAsTheConfigIsNotQuoted) {
  const auto hex = key_hex();
  // A plain scalar over three lines: yaml-cpp folds it into one value, which the top level refuses.
  const auto parsed = parse_config("/key/swarm/psk/1.0.0/\n/base16/\n" + hex + "\n", "swarm.key");
  ASSERT_FALSE(parsed.has_value());
  expect_fit(parsed.error().message, "swarm.key:", hex);
  EXPECT_NE(parsed.error().message.find("expected a map"), std::string::npos);
}

TEST(ConfigMessages, MultiLineValuesStayOnTheirProblemsLine) {
  const auto hex = key_hex();
  const auto parsed = parse_config("store:\n  backend: |\n    first line\n    " + hex + "\n", "c.yaml");
  ASSERT_FALSE(parsed.has_value());
  expect_fit(parsed.error().message, "c.yaml:", hex);
}

TEST(ConfigMessages, LongValuesAreCut) {
  const auto parsed = parse_config("store:\n  backend: " + std::string(5000, 'x') + "\n", "c.yaml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message.size(), 1200U);
}

TEST(ConfigMessages, ShortValuesAreStillQuoted) {
  const auto parsed = parse_config("store:\n  backend: s3\n", "c.yaml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("'s3'"), std::string::npos) << parsed.error().message;
}

TEST(ConfigMessages, BundleValuesMessagesFitToo) {
  const auto hex = key_hex();
  const auto parsed = parse_bundle_values("ipfs:\n  routing: \"a\\nb " + hex.substr(0, 30) + "\"\n", "values.yaml");
  ASSERT_FALSE(parsed.has_value());
  expect_fit(parsed.error().message, "values.yaml:", hex);
}

// Fuzz findings 19 (bundle_values) and 20 (config): a value of one repeated hex letter is not
// "random-looking", so it was quoted as it was; on a line that also says /key/swarm/psk/, keyd scan
// reads it as a labelled (weak) swarm key. What a message quotes is now checked by the scanner itself.
std::string labelled_run(char letter) { return "/key/swarm/psk/" + std::string(64, letter); }

TEST(ConfigMessages, ARepeatedHexLetterLabelledAsAKeyIsNotQuoted) {
  for (const char letter : {'E', 'd', '0'}) {
    const auto parsed = parse_config("x." + labelled_run(letter) + "+\n", "c.yaml");
    ASSERT_FALSE(parsed.has_value());
    const auto& message = parsed.error().message;
    EXPECT_TRUE(domain::scan_for_keys(message).empty()) << letter << ": " << message;
    EXPECT_NE(message.find("top level: expected a map, got '"), std::string::npos) << message;
    EXPECT_NE(message.find("<redacted>"), std::string::npos) << message;
  }
}

TEST(ConfigMessages, BundleValuesQuoteNoLabelledRepeatedLetterEither) {
  // The finding's shape: no key header (that is refused outright), but "psk" on the line.
  const auto parsed =
      parse_bundle_values("ipfs: 'image:/key/swarmy/psk/??" + std::string(64, 'd') + " ipfs/kubo:v0.32.1'\n", "values.yaml");
  ASSERT_FALSE(parsed.has_value());
  const auto& message = parsed.error().message;
  EXPECT_TRUE(domain::scan_for_keys(message).empty()) << message;
  EXPECT_NE(message.find("ipfs: expected a map"), std::string::npos) << message;
  EXPECT_NE(message.find("ipfs/kubo:v0.32.1"), std::string::npos) << "the rest stays readable: " << message;
}

TEST(ConfigMessages, ATooLongNameOfOneLetterStaysReadable) {
  // Without a swarm-key label on the line, a run of one letter is a name that is too long: quoted.
  const auto parsed = parse_config("swarms:\n  - name: " + std::string(70, 'a') + "\n", "c.yaml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find(std::string(70, 'a')), std::string::npos) << parsed.error().message;
}

}  // namespace
}  // namespace keyd::config
