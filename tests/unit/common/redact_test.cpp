// redact_for_message: what keyd quotes of text it did not write (fuzz finding 8, docs/fuzzing.md).
#include "keyd/common/redact.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace keyd {
namespace {

TEST(Redact, HexRunsFromSixteenDigitsAreRedacted) {
  EXPECT_EQ(redact_for_message("id " + std::string(15, 'a') + " ok"), "id " + std::string(15, 'a') + " ok");
  EXPECT_EQ(redact_for_message("id " + std::string(16, 'a') + " ok"), "id <redacted> ok");
  EXPECT_EQ(redact_for_message("v=" + std::string(64, 'b') + "."), "<redacted>");
}

TEST(Redact, KubernetesAndVaultWordsStay) {
  for (const std::string text : {
           "Operation cannot be fulfilled on secrets \"ipfs-swarm-key\": the object has been modified",
           "uid 1c0e0b54-5d3a-4c8e-9f0a-2b7d6c1e3f48, resourceVersion 123456789012",
           "statefulsets.apps \"ipfs\" is forbidden: User \"system:serviceaccount:ipfs:keyd\" cannot patch",
           "check-and-set parameter did not match the current version",
           "permission denied on secret/data/ipfs-overlay/swarm-key",
       }) {
    EXPECT_EQ(redact_for_message(text, 400), text);
  }
}

TEST(Redact, ControlCharactersAndLength) {
  EXPECT_EQ(redact_for_message("a\nb\tc\x7f"), "a b c ");
  EXPECT_EQ(redact_for_message("abcdefgh ijkl", 5), "abcde…");
}

// Bytes that are not UTF-8 become U+FFFD: left as they were, a message formatted with {:?} showed
// them as "\xff" escapes, and those letters joined the words around them into a run that looks
// like a key ("xffN4YAML9ExceptionE"; kubeconfig fuzz target, 2026-12-04). Valid UTF-8 stays.
TEST(Redact, BytesThatAreNotUtf8BecomeTheReplacementCharacter) {
  EXPECT_EQ(redact_for_message("ad\xff\xffN4YAML9ExceptionE\xff!"), "ad\uFFFD\uFFFDN4YAML9ExceptionE\uFFFD!");
  EXPECT_EQ(redact_for_message("caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x94\x91"), "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x94\x91");
  // Truncated, overlong and surrogate sequences are not UTF-8 either.
  EXPECT_EQ(redact_for_message("a\xc3"), "a\uFFFD");
  EXPECT_EQ(redact_for_message("a\xc0\xaf" "b"), "a\uFFFD\uFFFD" "b");
  EXPECT_EQ(redact_for_message("a\xed\xa0\x80" "b"), "a\uFFFD\uFFFD\uFFFD" "b");
}

// Valid UTF-8 that fmt's {:?} would escape (a C1 control, a zero-width space, a byte-order mark, an
// unassigned or private-use code point) becomes U+FFFD too: quoted, U+DE7B3 showed as "\U000de7b3",
// whose letters and digits joined the next word into a key-shaped run (fuzz finding 18, kubeconfig:
// current-context "...\U000de7b3l7___..."). What a message quotes must come out of {:?} unescaped.
TEST(Redact, CodePointsThatQuotingWouldEscapeBecomeTheReplacementCharacter) {
  for (const std::string cp : {"\xc2\x85", "\xe2\x80\x8b", "\xef\xbb\xbf", "\xf3\x9e\x9e\xb3", "\xf3\xa0\x80\x81",
                               "\xee\x80\x80", "\xf4\x8f\xbf\xbf"}) {
    const std::string redacted = redact_for_message("ctx" + cp + "l7");
    EXPECT_EQ(redacted, "ctx\uFFFDl7") << fmt::format("{:?}", cp);
    EXPECT_EQ(fmt::format("{:?}", redacted), "\"" + redacted + "\"");
  }
  // Printable text outside ASCII stays as it is, and quoting leaves it alone.
  for (const std::string text : {"caf\xc3\xa9", "\xe2\x80\xa6", "\xf0\x9f\x94\x91", "\xe4\xb8\xad\xe6\x96\x87", "\xef\xbf\xbd"}) {
    EXPECT_EQ(redact_for_message(text), text);
    EXPECT_EQ(fmt::format("{:?}", redact_for_message(text)), "\"" + text + "\"");
  }
}

}  // namespace
}  // namespace keyd
