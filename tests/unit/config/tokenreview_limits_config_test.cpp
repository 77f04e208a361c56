// server.auth.tokenreview's bounds on reviews (issue 15 item 6): defaults, every key read, ranges.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

using namespace std::chrono_literals;

TEST(TokenReviewLimitsConfig, DefaultsAndEveryKey) {
  auto c = parse_config("swarms: [{name: a}]\n", "d.yaml");
  ASSERT_TRUE(c) << c.error().message;
  const TokenReviewConfig& d = c->server.auth.tokenreview;
  EXPECT_EQ(d.cache_ttl, 10s);
  EXPECT_EQ(d.negative_cache_ttl, 5s);
  EXPECT_EQ(d.cache_size, 4096);
  EXPECT_EQ(d.reviews_per_second, 20);
  EXPECT_EQ(d.burst, 40);

  c = parse_config(R"(server:
  auth:
    tokenreview: {enabled: true, cache_ttl: 30s, negative_cache_ttl: 2s, cache_size: 100, reviews_per_second: 5, burst: 7}
swarms: [{name: a}]
)",
                   "d.yaml");
  ASSERT_TRUE(c) << c.error().message;
  const TokenReviewConfig& t = c->server.auth.tokenreview;
  EXPECT_EQ(t.cache_ttl, 30s);
  EXPECT_EQ(t.negative_cache_ttl, 2s);
  EXPECT_EQ(t.cache_size, 100);
  EXPECT_EQ(t.reviews_per_second, 5);
  EXPECT_EQ(t.burst, 7);
}

TEST(TokenReviewLimitsConfig, OutOfRangeValuesAreErrorsNamingTheKey) {
  for (const std::string field : {"cache_ttl: 100ms", "negative_cache_ttl: 2h", "cache_size: 0", "reviews_per_second: 0",
                                  "burst: -1"}) {
    auto c = parse_config("server: {auth: {tokenreview: {" + field + "}}}\nswarms: [{name: a}]\n", "d.yaml");
    ASSERT_FALSE(c) << field;
    EXPECT_NE(c.error().message.find(field.substr(0, field.find(':'))), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace keyd::config
