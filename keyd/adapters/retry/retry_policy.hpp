// The one retry policy of the HTTP adapters (Vault, Kubernetes, the keyd daemon store): bounded
// attempts, exponential backoff with equal jitter (domain::backoff_delay), a server's Retry-After
// honoured up to its cap; the caller only says what each attempt came to and whether it may pass
// on a retry. It lives in adapters, not domain or common: it waits on ports::Clock and draws
// jitter from ports::Random, and the inner layers do not know the ports. Internal to adapters.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/domain/backoff.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/random.hpp"

#include <chrono>
#include <expected>
#include <functional>
#include <optional>

namespace keyd::adapters::detail {

// What one failed attempt came to.
struct AttemptFailure {
  Error error;                                           // the final message (method, path, status)
  bool retryable = false;                                // may pass on a retry
  std::optional<std::chrono::milliseconds> retry_after;  // the server's Retry-After
};

// One attempt: the response to return (2xx, or what the caller handles itself), or a failure.
using Attempt = std::expected<ports::HttpResponse, AttemptFailure>;

// Connection failures and timeouts may pass on a retry; other transport errors do not.
[[nodiscard]] bool is_retryable_transport_error(const Error& error);
// A response's Retry-After (delta-seconds), if it has one.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_after_of(const ports::HttpResponse& response);

// When the final error says how many attempts were made: always, or only when one was retried.
enum class AttemptsNote { always, after_retries };

class RetryPolicy {
 public:
  RetryPolicy(domain::BackoffPolicy backoff, const ports::Clock& clock, ports::Random& random,
              AttemptsNote note = AttemptsNote::always);

  // Runs `attempt` until it returns a response, a failure that is not retryable, or `max_attempts`
  // failures (0: the policy's). Between attempts it logs "<error> (attempt n of m); retrying in
  // x ms" and sleeps on the clock. The last error gets " (after n attempts)".
  [[nodiscard]] Result<ports::HttpResponse> run(const std::function<Attempt()>& attempt, int max_attempts = 0);

  [[nodiscard]] const domain::BackoffPolicy& backoff() const { return m_backoff; }

 private:
  domain::BackoffPolicy m_backoff;
  const ports::Clock& m_clock;
  ports::Random& m_random;
  AttemptsNote m_note;
};

}  // namespace keyd::adapters::detail
