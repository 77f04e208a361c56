#include "vault_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::vault {

namespace {

std::string describe(const Call& call) { return fmt::format("vault {} {}", call.method, call.path); }

}  // namespace

VaultClient::VaultClient(VaultOptions options, ports::HttpTransport& transport, const ports::Clock& clock)
    : m_options(std::move(options)),
      m_transport(transport),
      m_clock(clock),
      m_backoff{m_options.max_attempts, m_options.backoff_base, m_options.backoff_cap, m_options.retry_after_cap},
      m_jitter(std::random_device{}()) {}

ports::HttpRequest VaultClient::build(const Call& call, bool with_token) const {
  ports::HttpRequest request;
  request.method = call.method;
  request.url = fmt::format("{}/v1/{}{}{}", m_options.address, call.path, call.query.empty() ? "" : "?", call.query);
  request.headers.push_back({"X-Vault-Request", "true", false});
  if (with_token) request.headers.push_back({"X-Vault-Token", std::string(m_token.reveal_text()), true});
  if (!m_options.namespace_name.empty()) request.headers.push_back({"X-Vault-Namespace", m_options.namespace_name, false});
  if (!call.body.empty()) request.headers.push_back({"Content-Type", "application/json", false});
  request.body = call.body.clone();
  request.connect_timeout = m_options.connect_timeout;
  request.total_timeout = m_options.request_timeout;
  return request;
}

Result<ports::HttpResponse> VaultClient::send_with_retries(const Call& call, bool with_token) {
  const std::string what = describe(call);
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  Error last;
  for (int attempt = 1;; ++attempt) {
    std::optional<std::chrono::milliseconds> retry_after;
    auto response = m_transport.send(build(call, with_token));
    if (response && response->status >= 200 && response->status < 300) return response;
    bool retryable = false;
    if (!response) {
      last = Error{response.error().code, fmt::format("{}: {}", what, response.error().message)};
      retryable = response.error().code == ErrorCode::unavailable || response.error().code == ErrorCode::timeout;
    } else {
      last = status_error(what, response->status, response->body);
      retryable = is_retryable_status(response->status);
      if (auto header = response->header("retry-after")) retry_after = domain::parse_retry_after(*header);
    }
    if (!retryable) return fail(std::move(last));
    if (attempt >= m_backoff.max_attempts) {
      last.message += fmt::format(" (after {} attempts)", attempt);
      return fail(std::move(last));
    }
    const auto delay = domain::backoff_delay(m_backoff, attempt, jitter(m_jitter), retry_after);
    spdlog::info("{} (attempt {} of {}); retrying in {} ms", last.message, attempt, m_backoff.max_attempts,
                 delay.count());
    m_clock.sleep_for(delay);
  }
}

Result<ports::HttpResponse> VaultClient::call(const Call& call) {
  KEYD_TRY(ensure_token(false));
  auto response = send_with_retries(call, true);
  if (response || response.error().code != ErrorCode::unauthorized) return response;
  // 403: the token may have expired or been revoked. Authenticate again once, then give up.
  spdlog::info("{}; authenticating again", response.error().message);
  if (auto st = ensure_token(true); !st) {
    return fail(Error{ErrorCode::unauthorized,
                      fmt::format("{}; re-authentication failed: {}", response.error().message, st.error().message)});
  }
  return send_with_retries(call, true);
}

Result<SecretJson> VaultClient::call_json(const Call& call) {
  KEYD_ASSIGN_OR_RETURN(auto response, this->call(call));
  return parse_json(response.body, describe(call));
}

}  // namespace keyd::adapters::vault
