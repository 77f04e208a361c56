#include "vault_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::vault {

namespace {

std::string describe(const Call& call) { return fmt::format("vault {} {}", call.method, call.path); }

}  // namespace

VaultClient::VaultClient(VaultOptions options, ports::HttpTransport& transport, const ports::Clock& clock,
                         ports::Random& random)
    : m_options(std::move(options)),
      m_transport(transport),
      m_clock(clock),
      m_retry({m_options.max_attempts, m_options.backoff_base, m_options.backoff_cap, m_options.retry_after_cap}, clock,
              random) {}

ports::HttpRequest VaultClient::build(const Call& call, const Secret* token) const {
  ports::HttpRequest request;
  request.method = call.method;
  request.url = fmt::format("{}/v1/{}{}{}", m_options.address, call.path, call.query.empty() ? "" : "?", call.query);
  request.headers.push_back({"X-Vault-Request", "true", false});
  if (token != nullptr) request.headers.push_back({"X-Vault-Token", std::string(token->reveal_text()), true});
  if (!m_options.namespace_name.empty()) request.headers.push_back({"X-Vault-Namespace", m_options.namespace_name, false});
  if (!call.body.empty()) request.headers.push_back({"Content-Type", "application/json", false});
  request.body = call.body.clone();
  request.connect_timeout = m_options.connect_timeout;
  request.total_timeout = m_options.request_timeout;
  return request;
}

Result<ports::HttpResponse> VaultClient::send_with_retries(const Call& call, const Secret* token) {
  const std::string what = describe(call);
  return m_retry.run([&]() -> adapters::detail::Attempt {
    auto response = m_transport.send(build(call, token));
    if (!response) {
      Error error{response.error().code, fmt::format("{}: {}", what, response.error().message)};
      const bool retryable = adapters::detail::is_retryable_transport_error(error);
      return std::unexpected(adapters::detail::AttemptFailure{std::move(error), retryable, std::nullopt});
    }
    if (response->status >= 200 && response->status < 300) return std::move(*response);
    return std::unexpected(adapters::detail::AttemptFailure{status_error(what, response->status, response->body),
                                                            is_retryable_status(response->status),
                                                            adapters::detail::retry_after_of(*response)});
  });
}

Result<Secret> VaultClient::token_for_call(const Secret* refused) {
  const std::lock_guard lock(m_auth);
  // A token another call has replaced since this one was refused is simply the new one: calls
  // refused together (the daemon's workers) authenticate once between them, not once each.
  const bool force = refused != nullptr && m_token.reveal_text() == refused->reveal_text();
  KEYD_TRY(ensure_token(force));
  return m_token.clone();
}

Result<ports::HttpResponse> VaultClient::call(const Call& call) {
  KEYD_ASSIGN_OR_RETURN(const Secret token, token_for_call(nullptr));
  auto response = send_with_retries(call, &token);
  if (response || response.error().code != ErrorCode::unauthorized) return response;
  // 403: the token may have expired or been revoked. Authenticate again once, then give up.
  spdlog::info("{}; authenticating again", response.error().message);
  auto renewed = token_for_call(&token);
  if (!renewed) {
    return fail(Error{ErrorCode::unauthorized, fmt::format("{}; re-authentication failed: {}",
                                                           response.error().message, renewed.error().message)});
  }
  return send_with_retries(call, &*renewed);
}

Result<SecretJson> VaultClient::call_json(const Call& call) {
  KEYD_ASSIGN_OR_RETURN(auto response, this->call(call));
  return parse_json(response.body, describe(call));
}

}  // namespace keyd::adapters::vault
