// parse_scan_allowlist: fingerprints with reasons; every malformed line is named.
#include "keyd/domain/scan.hpp"

#include <gtest/gtest.h>

namespace keyd::domain {
namespace {

TEST(ScanAllowlist, FingerprintsWithReasonsCommentsAndBlankLines) {
  const auto list = parse_scan_allowlist(
      "# header comment\n\n708a75afd05affb08736cbf17c73773e  # Kubo vector: all-zero key\r\n"
      "  41DFBF48D882A8EE665983ADFA7A48F7\t# Kubo vector: bytes 0..31, upper case\n");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(*list, (std::set<std::string>{"708a75afd05affb08736cbf17c73773e", "41dfbf48d882a8ee665983adfa7a48f7"}));
  const auto empty = parse_scan_allowlist("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ScanAllowlist, BadLinesAreNamed) {
  struct Case {
    std::string text, message;
  };
  for (const auto& c : std::vector<Case>{
           {"# ok\n708a75afd05affb08736cbf17c73773e\n", "line 2: the fingerprint needs a reason"},
           {"708a75afd05affb08736cbf17c73773e #   \n", "line 1: the fingerprint needs a reason"},
           {"\n\n708a75afd05affb08736cbf17c73773 # short\n", "line 3: expected a fingerprint of 32 hex digits"},
           {"708a75afd05affb08736cbf17c73773g # not hex\n", "line 1: expected a fingerprint of 32 hex digits"},
           {"708a75afd05affb0 8736cbf17c73773e # split\n", "line 1: expected a fingerprint of 32 hex digits"},
       }) {
    const auto list = parse_scan_allowlist(c.text);
    ASSERT_FALSE(list) << c.text;
    EXPECT_EQ(list.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(list.error().message.find(c.message), 0U) << list.error().message;
  }
}

}  // namespace
}  // namespace keyd::domain
