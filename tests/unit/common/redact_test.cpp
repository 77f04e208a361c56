// redact_for_message: what keyd quotes of text it did not write (fuzz finding 8, docs/fuzzing.md).
#include "keyd/common/redact.hpp"

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

}  // namespace
}  // namespace keyd
