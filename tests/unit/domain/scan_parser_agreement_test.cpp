// The scanner finds what the parser accepts (tests/fuzz/scan_fuzz checks this on generated input;
// these are its findings, kept as regression tests). Keys are generated at run time.
#include "key_fixtures.hpp"
#include "keyd/domain/scan.hpp"

#include <gtest/gtest.h>

namespace keyd::domain {
namespace {

// Go's base64 stream decoder reads on after a padded group, so a /base64/ key may be written as
// two padded pieces on two lines: 31 bytes ("...==" ends the first line), then the last byte. The
// scanner used to stop gathering at 44 characters (31 bytes) and missed it.
TEST(ScanParserAgreement, Base64KeyInTwoPaddedPieces) {
  auto key = generate_swarm_key();
  ASSERT_TRUE(key.has_value());
  const auto bytes = key->bytes();
  const std::string file =
      test::key_file("/base64/", test::base64_padded(bytes.first(31)) + "\n" + test::base64_padded(bytes.last(1)) + "\n");
  const auto parsed = parse_swarm_key(test::as_bytes(file));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_TRUE(parsed->key == *key);

  const auto findings = scan_for_keys(file);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].fingerprint, key->fingerprint());
  EXPECT_EQ(findings[0].line, 3U);
  EXPECT_EQ(describe_encoding(findings[0]), "base64");
}

// The one-line padded form still ends at its 44 characters: what follows is not gathered.
TEST(ScanParserAgreement, OneLineBase64KeyIsUnchanged) {
  auto key = generate_swarm_key();
  ASSERT_TRUE(key.has_value());
  const std::string file = test::key_file("/base64/", test::base64_padded(key->bytes()) + "\nnext: value\n");
  const auto findings = scan_for_keys(file);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].fingerprint, key->fingerprint());
}

}  // namespace
}  // namespace keyd::domain
