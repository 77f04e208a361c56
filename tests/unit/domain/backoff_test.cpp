#include "keyd/domain/backoff.hpp"

#include <gtest/gtest.h>

namespace keyd::domain {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesFromBaseUpToTheCapWithHalfJitter) {
  const BackoffPolicy p{4, 200ms, 1000ms, 30s};
  struct Case {
    int attempt;
    double jitter;
    std::chrono::milliseconds want;
    const char* why;
  };
  for (const Case& c : {Case{1, 0.0, 100ms, "half of base without jitter"}, Case{1, 0.999, 199ms, "almost base"},
                        Case{2, 0.0, 200ms, "doubled"}, Case{3, 0.5, 600ms, "800ms with half jitter"},
                        Case{4, 0.0, 500ms, "capped at 1000ms"}, Case{40, 1.0, 1000ms, "huge attempt stays capped"},
                        Case{0, 0.0, 100ms, "attempt below 1 treated as 1"}}) {
    EXPECT_EQ(backoff_delay(p, c.attempt, c.jitter, std::nullopt), c.want) << c.why;
  }
}

TEST(Backoff, RetryAfterWinsWhenLongerAndIsCapped) {
  const BackoffPolicy p{4, 200ms, 1000ms, 10s};
  EXPECT_EQ(backoff_delay(p, 1, 0.0, 2s), 2s);
  EXPECT_EQ(backoff_delay(p, 3, 1.0, 10ms), 800ms);
  EXPECT_EQ(backoff_delay(p, 1, 0.0, 3600s), 10s);
}

TEST(RetryAfter, DeltaSecondsOnly) {
  EXPECT_EQ(parse_retry_after("2"), 2s);
  EXPECT_EQ(parse_retry_after(" 120 "), 120s);
  EXPECT_EQ(parse_retry_after("0"), 0s);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after("1.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
}

}  // namespace
}  // namespace keyd::domain
