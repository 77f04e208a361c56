// The review limiter in front of a counting fake review (issue 15 item 6): a flood of random
// tokens costs at most the bucket's reviews, N concurrent requests with one new token share one
// review, refused answers are cached for their own TTL, the cache is bounded, errors are not
// cached, and cached tokens keep working while new ones are answered "unavailable".
#include "keyd/adapters/kube/review_limiter.hpp"

#include "support/test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;

// Accepts tokens that start with "good-", refuses the others; counts reviews. With `hold`, every
// review waits until release() (so concurrent requests pile up behind one).
class CountingReview final : public ports::Authenticator {
 public:
  Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    ++reviews;
    {
      std::unique_lock lock(m_mutex);
      ++m_waiting;
      m_changed.notify_all();
      m_changed.wait(lock, [&] { return !m_hold; });
    }
    if (down) return fail(ErrorCode::unavailable, "tokenreviews: 503");
    if (token.starts_with("good-")) return std::optional<ports::Caller>{ports::Caller{"k8s:ci", true}};
    return std::optional<ports::Caller>{};
  }
  void hold() {
    const std::lock_guard lock(m_mutex);
    m_hold = true;
  }
  void wait_for_reviewers(int n) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_waiting >= n; });
  }
  void release() {
    const std::lock_guard lock(m_mutex);
    m_hold = false;
    m_changed.notify_all();
  }
  std::atomic<int> reviews{0};
  std::atomic<bool> down{false};

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_hold = false;
  int m_waiting = 0;
};

class ReviewLimiterTest : public ::testing::Test {
 protected:
  std::shared_ptr<ports::Authenticator> limiter(ReviewLimits limits = {}) {
    return make_review_limiter(review, limits, clock);
  }
  std::shared_ptr<CountingReview> review = std::make_shared<CountingReview>();
  testing::FakeClock clock;
};

TEST_F(ReviewLimiterTest, AFloodOfRandomTokensIsBoundedByTheBucket) {
  auto auth = limiter({.reviews_per_second = 5, .burst = 10});
  int unavailable = 0;
  for (int i = 0; i < 1000; ++i) {
    auto r = auth->authenticate(fmt::format("random-{}", i));
    if (!r) {
      ++unavailable;
      EXPECT_EQ(r.error().code, ErrorCode::unavailable);
      EXPECT_EQ(r.error().message, k_review_rate_limited);
    }
  }
  EXPECT_EQ(review->reviews, 10) << "the burst";
  EXPECT_EQ(unavailable, 990);
  // Refill: 5 per second, never more than the burst.
  clock.advance(1s);
  for (int i = 0; i < 100; ++i) (void)auth->authenticate(fmt::format("second-{}", i));
  EXPECT_EQ(review->reviews, 15);
  clock.advance(1h);
  for (int i = 0; i < 100; ++i) (void)auth->authenticate(fmt::format("third-{}", i));
  EXPECT_EQ(review->reviews, 25);
}

TEST_F(ReviewLimiterTest, CachedTokensKeepWorkingWhileTheBoundIsReached) {
  auto auth = limiter({.reviews_per_second = 1, .burst = 1});
  auto good = auth->authenticate("good-ci");
  ASSERT_TRUE(good && good->has_value());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(auth->authenticate(fmt::format("random-{}", i)));
  auto again = auth->authenticate("good-ci");
  ASSERT_TRUE(again && again->has_value()) << "a cached token was refused while the bound was reached";
  EXPECT_EQ((*again)->name, "k8s:ci");
  EXPECT_EQ(review->reviews, 1);
}

TEST_F(ReviewLimiterTest, ConcurrentRequestsWithOneNewTokenShareOneReview) {
  auto auth = limiter({.reviews_per_second = 1, .burst = 1});
  review->hold();
  constexpr int k_clients = 16;
  std::atomic<int> accepted{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < k_clients; ++i) {
    clients.emplace_back([&] {
      auto r = auth->authenticate("good-shared");
      if (r && r->has_value()) ++accepted;
    });
  }
  review->wait_for_reviewers(1);
  std::this_thread::sleep_for(50ms);  // let the others reach the limiter and wait
  review->release();
  for (auto& t : clients) t.join();
  EXPECT_EQ(review->reviews, 1);
  EXPECT_EQ(accepted, k_clients) << "the waiting requests did not get the shared answer";
}

TEST_F(ReviewLimiterTest, RefusedAnswersAreCachedForTheNegativeTtl) {
  auto auth = limiter({.cache_ttl = 10s, .negative_cache_ttl = 3s});
  for (int i = 0; i < 5; ++i) {
    auto r = auth->authenticate("bad-token");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
  }
  ASSERT_TRUE(auth->authenticate("good-token"));
  EXPECT_EQ(review->reviews, 2);
  clock.advance(4s);
  (void)auth->authenticate("bad-token");
  (void)auth->authenticate("good-token");
  EXPECT_EQ(review->reviews, 3) << "the refusal expires after 3 s, the acceptance after 10 s";
  clock.advance(7s);
  (void)auth->authenticate("good-token");
  EXPECT_EQ(review->reviews, 4);
}

TEST_F(ReviewLimiterTest, TheCacheIsBoundedLeastRecentlyUsedFirst) {
  auto auth = limiter({.cache_entries = 4, .reviews_per_second = 1000, .burst = 1000});
  ASSERT_TRUE(auth->authenticate("good-keep"));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(auth->authenticate(fmt::format("random-{}", i)));
    ASSERT_TRUE(auth->authenticate("good-keep"));  // recently used: stays
  }
  EXPECT_EQ(review->reviews, 101);
  // Only the last 3 random tokens are still cached: older ones are reviewed again.
  ASSERT_TRUE(auth->authenticate("random-99"));
  ASSERT_TRUE(auth->authenticate("random-97"));
  EXPECT_EQ(review->reviews, 101);
  ASSERT_TRUE(auth->authenticate("random-0"));
  EXPECT_EQ(review->reviews, 102);
}

TEST_F(ReviewLimiterTest, ErrorsAreNotCached) {
  auto auth = limiter();
  review->down = true;
  EXPECT_FALSE(auth->authenticate("good-token"));
  review->down = false;
  auto r = auth->authenticate("good-token");
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ(review->reviews, 2);
}

}  // namespace
}  // namespace keyd::adapters
