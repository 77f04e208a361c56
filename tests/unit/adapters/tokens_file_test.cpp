// The tokens-file authenticator compares the whole SHA-256 digest: a wrong token whose digest
// shares a prefix with a valid one, and a listed digest that differs from the token's only in its
// last byte, are both refused (issue 17: a comparison of the first byte alone let a mutant live).
#include "keyd/adapters/http/http_server.hpp"
#include "keyd/common/digest.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

namespace keyd::adapters {
namespace {

std::shared_ptr<ports::Authenticator> authenticator(const testing::TempDir& dir, const std::string& content) {
  const auto path = (dir / "tokens").string();
  testing::write_file(path, content);
  ::chmod(path.c_str(), 0600);
  auto made = make_tokens_file_authenticator(path);
  EXPECT_TRUE(made) << made.error().message;
  return made ? *made : nullptr;
}

// The caller name the authenticator gives the token, or "" when it refuses it.
std::string caller_of(ports::Authenticator& auth, const std::string& token) {
  auto answer = auth.authenticate(token);
  EXPECT_TRUE(answer) << answer.error().message;
  if (!answer || !answer->has_value()) return {};
  EXPECT_TRUE((*answer)->may_write);
  return (*answer)->name;
}

// The first token "wrong-<n>" whose digest starts with the same `bytes` bytes as `digest` (found by
// brute force: about 256^bytes candidates, a few milliseconds for two bytes).
std::string token_sharing_prefix(const Sha256& digest, std::size_t bytes) {
  for (int n = 0; n < 50'000'000; ++n) {
    std::string candidate = "wrong-" + std::to_string(n);
    const auto d = sha256(candidate);
    if (d && std::equal(d->begin(), d->begin() + static_cast<std::ptrdiff_t>(bytes), digest.begin()) && *d != digest) {
      return candidate;
    }
  }
  return {};
}

TEST(TokensFileDigest, AWrongTokenWhoseDigestSharesAPrefixIsRefused) {
  testing::TempDir dir;
  auto auth = authenticator(dir, sha256_hex("valid-token") + " ci-bot\n");
  ASSERT_NE(auth, nullptr);
  ASSERT_EQ(caller_of(*auth, "valid-token"), "token:ci-bot");
  const Sha256 valid = *sha256("valid-token");
  for (std::size_t shared : {1U, 2U}) {
    const std::string wrong = token_sharing_prefix(valid, shared);
    ASSERT_FALSE(wrong.empty());
    ASSERT_EQ(sha256_hex(wrong).substr(0, 2 * shared), sha256_hex("valid-token").substr(0, 2 * shared));
    EXPECT_EQ(caller_of(*auth, wrong), "") << "a token whose digest shares only its first " << shared
                                           << " byte(s) with a listed one was accepted";
  }
}

TEST(TokensFileDigest, ADigestDifferingOnlyInItsLastByteIsNoMatch) {
  testing::TempDir dir;
  for (const std::size_t at : {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{31}}) {
    std::string hex = sha256_hex("the-token");
    hex[2 * at + 1] = hex[2 * at + 1] == '0' ? '1' : '0';  // one bit pattern off in byte `at`
    auto auth = authenticator(dir, hex + " near-miss\n" + sha256_hex("other") + " other\n");
    ASSERT_NE(auth, nullptr);
    EXPECT_EQ(caller_of(*auth, "the-token"), "") << "the listed digest differs in byte " << at << " only";
    EXPECT_EQ(caller_of(*auth, "other"), "token:other");
  }
}

}  // namespace
}  // namespace keyd::adapters
