// A flood of random bearer tokens against the TokenReview authenticator costs the kube-apiserver
// double a bounded number of tokenreviews (issue 15 item 6), and an API error is not retried in the
// request path.
#include "keyd/adapters/kube/kube_auth.hpp"
#include "keyd/adapters/kube/review_limiter.hpp"

#include "kube_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <random>

namespace keyd::adapters {
namespace {

using kube_test::connection_to;
using nlohmann::json;

class TokenReviewFloodTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  void SetUp() override { kube().reset(); }
  static testing::KubeDouble& kube() { return *s_kube; }

  std::shared_ptr<ports::Authenticator> authenticator() {
    auto api = make_kube_api(connection_to(kube(), kube().admin_token()), clock, fixed_random);
    EXPECT_TRUE(api) << api.error().message;
    TokenReviewOptions options;
    options.audiences = {"keyd"};
    return make_tokenreview_authenticator(options, *api, clock);
  }

  static int reviews() {
    int n = 0;
    for (const json& r : kube().requests()) n += r.value("resource", "") == "tokenreviews" ? 1 : 0;
    return n;
  }

  testing::FakeClock clock;
  testing::FixedRandom fixed_random;
  inline static std::unique_ptr<testing::KubeDouble> s_kube;
};

std::string random_token(std::mt19937_64& random) { return fmt::format("kd-{:016x}{:016x}", random(), random()); }

TEST_F(TokenReviewFloodTest, FiveHundredRandomTokensCostAtMostTheBurstOfReviews) {
  auto auth = authenticator();
  const std::string ci =
      kube().control("POST", "tokens", {{"user", "system:serviceaccount:ops:ci"}, {"audiences", {"keyd"}}})["token"];
  auto known = auth->authenticate(ci);
  ASSERT_TRUE(known && known->has_value());
  kube().clear_requests();

  std::mt19937_64 random{15};
  int refused = 0;
  int unavailable = 0;
  for (int i = 0; i < 500; ++i) {
    auto r = auth->authenticate(random_token(random));
    if (!r) {
      ++unavailable;
      continue;
    }
    EXPECT_FALSE(r->has_value());
    ++refused;
    // The known token keeps working through the flood, from the cache.
    if (i % 50 == 0) {
      auto again = auth->authenticate(ci);
      ASSERT_TRUE(again && again->has_value()) << (again ? "rejected" : again.error().message);
    }
  }
  const int burst = ReviewLimits{}.burst;
  EXPECT_LE(reviews(), burst) << "a flood of random tokens reached the API server unbounded";
  EXPECT_EQ(refused, burst - 1) << "the known token took one review from the bucket";
  EXPECT_EQ(unavailable, 500 - (burst - 1));

  // One second later the bucket allows reviews_per_second more.
  clock.advance(std::chrono::seconds{1});
  kube().clear_requests();
  for (int i = 0; i < 100; ++i) (void)auth->authenticate(random_token(random));
  EXPECT_EQ(reviews(), ReviewLimits{}.reviews_per_second);
}

TEST_F(TokenReviewFloodTest, AnApiErrorIsNotRetriedWhileTheClientWaits) {
  auto auth = authenticator();
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/tokenreviews$"}, {"status", 503}, {"times", 100}});
  auto r = auth->authenticate("kd-some-token");
  ASSERT_FALSE(r);
  EXPECT_EQ(reviews(), 1) << "a TokenReview was retried in the request path";
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace keyd::adapters
