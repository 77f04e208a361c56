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
  return m_retry.run([&]() -> adapters::detail::Attempt {
    auto response = m_transport.send(build(call, with_token));
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
