// The one SHA-256 home (audit chain links, bearer-token lookups).
#include "keyd/common/digest.hpp"

#include <gtest/gtest.h>

namespace keyd {
namespace {

TEST(Digest, Sha256HexMatchesTheFips180Vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, Sha256BytesAreTheHex) {
  const auto digest = sha256("abc");
  ASSERT_TRUE(digest);
  EXPECT_EQ((*digest)[0], 0xba);
  EXPECT_EQ((*digest)[31], 0xad);
  EXPECT_EQ(sha256("abc"), sha256(std::string("abc")));
  EXPECT_NE(sha256("abc"), sha256("abd"));
}

}  // namespace
}  // namespace keyd
