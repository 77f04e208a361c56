// Service-account tokens checked with a TokenReview against the kube-apiserver double: valid and
// allowed, valid but read-only, bound to a pod, wrong audience, unknown, cached, and the API server down.
#include "keyd/adapters/kube/kube_auth.hpp"

#include "kube_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace keyd::adapters {
namespace {

using kube_test::connection_to;
using nlohmann::json;

class TokenReviewTest : public ::testing::Test {
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
    options.allowed_users = {"system:serviceaccount:ops:ci"};
    return make_tokenreview_authenticator(options, *api, clock);
  }

  static std::string sa_token(const std::string& user, const json& audiences) {
    return kube().control("POST", "tokens", {{"user", user}, {"audiences", audiences}})["token"].get<std::string>();
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

TEST_F(TokenReviewTest, AllowedDeniedAndUnknownTokens) {
  auto auth = authenticator();
  const std::string ci = sa_token("system:serviceaccount:ops:ci", {"keyd"});
  const std::string viewer = sa_token("system:serviceaccount:ops:viewer", {"keyd", "other"});
  const std::string wrong_audience = sa_token("system:serviceaccount:ops:ci", {"vault"});
  const std::string default_audience =
      sa_token("system:serviceaccount:ops:ci", json::array({"https://kubernetes.default.svc.cluster.local"}));

  auto r = auth->authenticate(ci);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->name, "k8s:system:serviceaccount:ops:ci");
  EXPECT_TRUE((*r)->may_write);

  r = auth->authenticate(viewer);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->name, "k8s:system:serviceaccount:ops:viewer");
  EXPECT_FALSE((*r)->may_write) << "authenticated, but not among allowed_users";

  for (const std::string& token : {wrong_audience, default_audience, std::string("kd-never-issued")}) {
    r = auth->authenticate(token);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value()) << "a token not issued for audience keyd was accepted";
  }
}

TEST_F(TokenReviewTest, ATokenBoundToAPodNamesThePodAndTheCacheKeepsIt) {
  auto auth = authenticator();
  const std::string uid = "5f0c3d3e-9a1b-4c55-8e0f-0123456789ab";
  const std::string bound =
      kube().service_account_token("system:serviceaccount:ipfs:ipfs-overlay", {"keyd"}, "ipfs-0", uid);
  const std::string unbound = sa_token("system:serviceaccount:ipfs:ipfs-overlay", {"keyd"});
  kube().clear_requests();

  auto r = auth->authenticate(bound);
  ASSERT_TRUE(r && r->has_value()) << (r ? "rejected" : r.error().message);
  EXPECT_EQ((*r)->name, "k8s:system:serviceaccount:ipfs:ipfs-overlay")
      << "the name stays the user: allow-lists match it";
  EXPECT_EQ((*r)->pod, "ipfs-0");
  EXPECT_EQ((*r)->pod_uid, uid);
  EXPECT_EQ((*r)->actor(), "k8s:system:serviceaccount:ipfs:ipfs-overlay pod=ipfs-0 pod_uid=" + uid);

  r = auth->authenticate(bound);  // from the cache
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->pod, "ipfs-0");
  EXPECT_EQ((*r)->pod_uid, uid);
  EXPECT_EQ(reviews(), 1);

  // Only what Kubernetes would put there is believed: the actor cannot be made to say more.
  r = auth->authenticate(
      kube().service_account_token("system:serviceaccount:ipfs:ipfs-overlay", {"keyd"}, "ipfs-0 pod=other", uid));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->pod, "");
  EXPECT_EQ((*r)->actor(), "k8s:system:serviceaccount:ipfs:ipfs-overlay");

  r = auth->authenticate(unbound);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->pod, "");
  EXPECT_EQ((*r)->pod_uid, "");
  EXPECT_EQ((*r)->actor(), "k8s:system:serviceaccount:ipfs:ipfs-overlay");
}

TEST_F(TokenReviewTest, AnswersAreCachedForTheTtlByTheTokensHash) {
  auto auth = authenticator();
  const std::string ci = sa_token("system:serviceaccount:ops:ci", {"keyd"});
  kube().clear_requests();
  ASSERT_TRUE(auth->authenticate(ci));
  ASSERT_TRUE(auth->authenticate(ci));
  ASSERT_TRUE(auth->authenticate("kd-never-issued"));
  ASSERT_TRUE(auth->authenticate("kd-never-issued"));
  EXPECT_EQ(reviews(), 2);
  clock.advance(std::chrono::seconds{11});
  ASSERT_TRUE(auth->authenticate(ci));
  EXPECT_EQ(reviews(), 3);
  // A token revoked at the API server stops working once the cache entry expires.
  kube().control("POST", "tokens/revoke", {{"token", ci}});
  clock.advance(std::chrono::seconds{11});
  auto r = auth->authenticate(ci);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST_F(TokenReviewTest, AnApiServerThatCannotAnswerIsAnErrorNotARejection) {
  auto auth = authenticator();
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/tokenreviews$"}, {"status", 503}, {"times", 100}});
  const std::string ci = sa_token("system:serviceaccount:ops:ci", {"keyd"});
  auto r = auth->authenticate(ci);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TokenReview"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(ci), std::string::npos) << "the token leaked into an error";
}

}  // namespace
}  // namespace keyd::adapters
