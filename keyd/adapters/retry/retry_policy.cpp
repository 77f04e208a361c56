#include "retry_policy.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::detail {

bool is_retryable_transport_error(const Error& error) {
  return error.code == ErrorCode::unavailable || error.code == ErrorCode::timeout;
}

std::optional<std::chrono::milliseconds> retry_after_of(const ports::HttpResponse& response) {
  const auto header = response.header("retry-after");
  if (!header) return std::nullopt;
  return domain::parse_retry_after(*header);
}

RetryPolicy::RetryPolicy(domain::BackoffPolicy backoff, const ports::Clock& clock, ports::Random& random,
                         AttemptsNote note)
    : m_backoff(backoff), m_clock(clock), m_random(random), m_note(note) {}

Result<ports::HttpResponse> RetryPolicy::run(const std::function<Attempt()>& attempt, int max_attempts) {
  if (max_attempts <= 0) max_attempts = m_backoff.max_attempts;
  for (int n = 1;; ++n) {
    auto outcome = attempt();
    if (outcome) return std::move(*outcome);
    AttemptFailure& failure = outcome.error();
    if (!failure.retryable) return fail(std::move(failure.error));
    if (n >= max_attempts) {
      if (m_note == AttemptsNote::always || n > 1) failure.error.message += fmt::format(" (after {} attempts)", n);
      return fail(std::move(failure.error));
    }
    const auto delay = domain::backoff_delay(m_backoff, n, m_random.uniform(), failure.retry_after);
    spdlog::info("{} (attempt {} of {}); retrying in {} ms", failure.error.message, n, max_attempts, delay.count());
    m_clock.sleep_for(delay);
  }
}

}  // namespace keyd::adapters::detail
