// The review limiter: a bounded LRU of answers by token hash, one review in flight per token, and
// a token bucket for reviews of tokens it has not seen.
#include "keyd/adapters/kube/review_limiter.hpp"

#include "keyd/common/digest.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <condition_variable>
#include <list>
#include <mutex>
#include <unordered_map>

namespace keyd::adapters {

namespace {

using Answer = Result<std::optional<ports::Caller>>;
using TimePoint = std::chrono::system_clock::time_point;

std::string digest_of(std::string_view token) {
  const Sha256 digest = sha256(token).value_or(Sha256{});
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// One review in flight; the requests that wait for it share its answer.
struct Pending {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<Answer> answer;
};

class ReviewLimiter final : public ports::Authenticator {
 public:
  ReviewLimiter(std::shared_ptr<ports::Authenticator> review, ReviewLimits limits, const ports::Clock& clock)
      : m_review(std::move(review)), m_limits(limits), m_clock(clock), m_tokens(std::max(1, limits.burst)),
        m_refilled(clock.now()) {}

  [[nodiscard]] Answer authenticate(std::string_view token) override {
    const std::string key = digest_of(token);
    std::shared_ptr<Pending> pending;
    bool reviewer = false;
    {
      const std::lock_guard lock(m_mutex);
      const auto now = m_clock.now();
      if (auto cached = lookup(key, now)) return *cached;
      if (const auto it = m_pending.find(key); it != m_pending.end()) {
        pending = it->second;
      } else {
        if (!take_token(now)) {
          note_refusal(now);
          return fail(ErrorCode::unavailable, k_review_rate_limited);
        }
        pending = std::make_shared<Pending>();
        m_pending.emplace(key, pending);
        reviewer = true;
      }
    }
    if (!reviewer) {
      std::unique_lock wait(pending->mutex);
      pending->done.wait(wait, [&] { return pending->answer.has_value(); });
      return *pending->answer;
    }
    Answer answer = m_review->authenticate(token);
    {
      const std::lock_guard lock(m_mutex);
      if (answer) store(key, *answer, m_clock.now());
      m_pending.erase(key);
    }
    {
      const std::lock_guard done(pending->mutex);
      pending->answer = answer;
    }
    pending->done.notify_all();
    return answer;
  }

 private:
  struct Entry {
    std::string key;
    TimePoint until;
    std::optional<ports::Caller> caller;
  };

  // Under m_mutex.
  std::optional<Answer> lookup(const std::string& key, TimePoint now) {
    const auto it = m_index.find(key);
    if (it == m_index.end()) return std::nullopt;
    if (it->second->until <= now) {
      m_lru.erase(it->second);
      m_index.erase(it);
      return std::nullopt;
    }
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    return Answer{it->second->caller};
  }

  void store(const std::string& key, const std::optional<ports::Caller>& caller, TimePoint now) {
    const auto ttl = caller ? m_limits.cache_ttl : m_limits.negative_cache_ttl;
    if (const auto it = m_index.find(key); it != m_index.end()) {
      m_lru.erase(it->second);
      m_index.erase(it);
    }
    while (!m_lru.empty() && m_lru.size() >= std::max<std::size_t>(1, m_limits.cache_entries)) {
      m_index.erase(m_lru.back().key);
      m_lru.pop_back();
    }
    m_lru.push_front(Entry{key, now + ttl, caller});
    m_index.emplace(key, m_lru.begin());
  }

  // A warning at most every 10 s, with the count since the last one: a flood does not flood the log.
  void note_refusal(TimePoint now) {
    ++m_refused;
    if (m_warned && now - *m_warned < std::chrono::seconds{10}) return;
    spdlog::warn("api: {} new bearer token(s) answered 503 without a review: more than {} reviews per second",
                 m_refused, m_limits.reviews_per_second);
    m_warned = now;
    m_refused = 0;
  }

  bool take_token(TimePoint now) {
    const double burst = std::max(1, m_limits.burst);
    if (now > m_refilled) {
      const double elapsed = std::chrono::duration<double>(now - m_refilled).count();
      m_tokens = std::min(burst, m_tokens + elapsed * std::max(1, m_limits.reviews_per_second));
      m_refilled = now;
    }
    if (m_tokens < 1.0) return false;
    m_tokens -= 1.0;
    return true;
  }

  std::shared_ptr<ports::Authenticator> m_review;
  ReviewLimits m_limits;
  const ports::Clock& m_clock;
  std::mutex m_mutex;
  double m_tokens;
  TimePoint m_refilled;
  std::optional<TimePoint> m_warned;
  std::uint64_t m_refused = 0;
  std::list<Entry> m_lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> m_index;  // SHA-256 of the token → entry
  std::unordered_map<std::string, std::shared_ptr<Pending>> m_pending;
};

}  // namespace

std::shared_ptr<ports::Authenticator> make_review_limiter(std::shared_ptr<ports::Authenticator> review,
                                                          ReviewLimits limits, const ports::Clock& clock) {
  return std::make_shared<ReviewLimiter>(std::move(review), limits, clock);
}

}  // namespace keyd::adapters
