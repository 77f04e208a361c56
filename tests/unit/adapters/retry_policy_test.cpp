// The one retry policy of the HTTP adapters: attempt counting, backoff growth on the clock, the
// server's Retry-After, which failures retry, and the "(after n attempts)" note.
#include "retry/retry_policy.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace keyd::adapters::detail {
namespace {

using namespace std::chrono_literals;
using keyd::testing::FakeClock;

// Jitter from a fixed list (then the last value forever), counting draws.
class ScriptedRandom final : public ports::Random {
 public:
  explicit ScriptedRandom(std::deque<double> values) : m_values(std::move(values)) {}
  double uniform() override {
    ++draws;
    const double v = m_values.front();
    if (m_values.size() > 1) m_values.pop_front();
    return v;
  }
  int draws = 0;

 private:
  std::deque<double> m_values;
};

AttemptFailure failure(bool retryable, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  return AttemptFailure{Error{ErrorCode::unavailable, "svc GET /p: 503 busy"}, retryable, retry_after};
}

ports::HttpResponse ok() {
  ports::HttpResponse r;
  r.status = 200;
  return r;
}

class RetryPolicyTest : public ::testing::Test {
 protected:
  RetryPolicy policy(AttemptsNote note = AttemptsNote::always) {
    return RetryPolicy(domain::BackoffPolicy{4, 200ms, 1'000ms, 5'000ms}, clock, random, note);
  }
  FakeClock clock;
  ScriptedRandom random{{1.0}};
  int calls = 0;
};

TEST_F(RetryPolicyTest, StopsAtMaxAttemptsWithExponentialCappedBackoffOnTheClock) {
  const auto got = policy().run([&]() -> Attempt {
    ++calls;
    return std::unexpected(failure(true));
  });
  ASSERT_FALSE(got);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(got.error().code, ErrorCode::unavailable);
  EXPECT_EQ(got.error().message, "svc GET /p: 503 busy (after 4 attempts)");
  // jitter 1.0: the full delay, 200 · 2^(n-1) capped at 1 s.
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms}));
  EXPECT_EQ(random.draws, 3);
}

TEST_F(RetryPolicyTest, EqualJitterKeepsHalfTheDelay) {
  ScriptedRandom zero{{0.0}};
  RetryPolicy least(domain::BackoffPolicy{4, 200ms, 1'000ms, 5'000ms}, clock, zero);
  const auto got = least.run([&]() -> Attempt {
    ++calls;
    return std::unexpected(failure(true));
  });
  ASSERT_FALSE(got);
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms}));
}

TEST_F(RetryPolicyTest, ASuccessEndsTheRetries) {
  const auto got = policy().run([&]() -> Attempt {
    if (++calls < 3) return std::unexpected(failure(true));
    return ok();
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps().size(), 2U);
}

TEST_F(RetryPolicyTest, AFailureThatIsNotRetryableIsReturnedAtOnceWithoutANote) {
  const auto got = policy().run([&]() -> Attempt {
    ++calls;
    return std::unexpected(failure(false));
  });
  ASSERT_FALSE(got);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.error().message, "svc GET /p: 503 busy");
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(RetryPolicyTest, RetryAfterWinsWhenLongerUpToItsCap) {
  const auto got = policy().run([&]() -> Attempt {
    ++calls;
    if (calls == 1) return std::unexpected(failure(true, 3s));
    if (calls == 2) return std::unexpected(failure(true, 3600s));
    return ok();
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{3'000ms, 5'000ms}));
}

TEST_F(RetryPolicyTest, APerCallMaximumAndTheNoteOnlyAfterRetries) {
  auto once = policy(AttemptsNote::after_retries);
  auto got = once.run(
      [&]() -> Attempt {
        ++calls;
        return std::unexpected(failure(true));
      },
      1);
  ASSERT_FALSE(got);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.error().message, "svc GET /p: 503 busy") << "one attempt: nothing was retried";
  got = policy(AttemptsNote::always).run([&]() -> Attempt { return std::unexpected(failure(true)); }, 1);
  EXPECT_EQ(got.error().message, "svc GET /p: 503 busy (after 1 attempts)");
  got = once.run([&]() -> Attempt { return std::unexpected(failure(true)); }, 2);
  EXPECT_EQ(got.error().message, "svc GET /p: 503 busy (after 2 attempts)");
}

TEST(RetryRules, TransportErrorsAndRetryAfter) {
  EXPECT_TRUE(is_retryable_transport_error(Error{ErrorCode::unavailable, "refused"}));
  EXPECT_TRUE(is_retryable_transport_error(Error{ErrorCode::timeout, "timed out"}));
  EXPECT_FALSE(is_retryable_transport_error(Error{ErrorCode::invalid_config, "bad CA file"}));
  ports::HttpResponse r;
  EXPECT_FALSE(retry_after_of(r));
  r.headers.push_back({"Retry-After", "7", false});
  EXPECT_EQ(retry_after_of(r), 7s);
}

}  // namespace
}  // namespace keyd::adapters::detail
