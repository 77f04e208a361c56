#include "kube_api.hpp"

#include "keyd/adapters/curl/curl_transport.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace keyd::adapters {

namespace {

constexpr const char* k_user_agent = "keyd/" KEYD_VERSION;

std::string content_type_of(kube::PatchType type) {
  switch (type) {
    case kube::PatchType::strategic_merge:
      return "application/strategic-merge-patch+json";
    case kube::PatchType::merge:
      return "application/merge-patch+json";
    case kube::PatchType::json:
      return "application/json-patch+json";
  }
  return "application/merge-patch+json";
}

}  // namespace

KubeApi::KubeApi(KubeConnection connection, const ports::Clock& clock, ports::Random& random,
                 kube::TransportFactory factory, kube::ApiOptions options)
    : m_connection(std::move(connection)),
      m_factory(std::move(factory)),
      m_options(options),
      m_retry(m_options.backoff, clock, random) {}

Result<kube::SecretJson> KubeApi::get(std::string_view path) { return call_json({"GET", std::string(path), "", "", {}}); }

Result<kube::SecretJson> KubeApi::list(std::string_view path, std::string_view label_selector) {
  const std::string query = label_selector.empty() ? "" : "labelSelector=" + kube::query_escape(label_selector);
  return call_json({"GET", std::string(path), query, "", {}});
}

Result<kube::SecretJson> KubeApi::create(std::string_view path, const kube::SecretJson& body) {
  return call_json({"POST", std::string(path), "", "application/json", kube::to_body(body)});
}

Result<kube::SecretJson> KubeApi::create_once(std::string_view path, const kube::SecretJson& body,
                                              std::chrono::milliseconds timeout) {
  return call_json({"POST", std::string(path), "", "application/json", kube::to_body(body), timeout}, 1);
}

Result<kube::SecretJson> KubeApi::get_once(std::string_view path, std::chrono::milliseconds timeout) {
  return call_json({"GET", std::string(path), "", "", {}, timeout}, 1);
}

Result<kube::SecretJson> KubeApi::replace_once(std::string_view path, const kube::SecretJson& body,
                                               std::chrono::milliseconds timeout) {
  return call_json({"PUT", std::string(path), "", "application/json", kube::to_body(body), timeout}, 1);
}

Result<kube::SecretJson> KubeApi::replace(std::string_view path, const kube::SecretJson& body) {
  return call_json({"PUT", std::string(path), "", "application/json", kube::to_body(body)});
}

Result<kube::SecretJson> KubeApi::patch(std::string_view path, kube::PatchType type, const kube::SecretJson& body,
                                        std::string_view field_manager) {
  const std::string query = field_manager.empty() ? "" : "fieldManager=" + kube::query_escape(field_manager);
  return call_json({"PATCH", std::string(path), query, content_type_of(type), kube::to_body(body)});
}

Status KubeApi::remove(std::string_view path, const kube::SecretJson& options) {
  Call c{"DELETE", std::string(path), "", "", {}};
  if (!options.is_null()) {
    c.content_type = "application/json";
    c.body = kube::to_body(options);
  }
  KEYD_TRY(call(c));
  return {};
}

// Current credentials from the source; a client certificate that differs from the one the
// transport was made with (exec plugins hand out new ones) means a new transport.
Status KubeApi::refresh_credentials(bool force) {
  std::string cert;
  std::shared_ptr<const Secret> key;
  if (m_connection.credentials) {
    KEYD_ASSIGN_OR_RETURN(auto creds, m_connection.credentials->get(force));
    m_token = std::move(creds.bearer_token);
    cert = std::move(creds.client_cert_pem);
    key = std::move(creds.client_key_pem);
  }
  if (m_transport && cert == m_transport_cert) return {};
  ports::TlsOptions tls = m_connection.tls;
  if (!cert.empty()) {
    tls.client_cert_pem = cert;
    tls.client_key_pem = key;
    tls.client_cert_file.clear();
    tls.client_key_file.clear();
  }
  auto transport = m_factory(tls);
  if (!transport) return fail(transport.error().with_context("kubernetes " + m_connection.description));
  if (m_transport) spdlog::debug("kubernetes: new client certificate; new connection to {}", m_connection.server);
  m_transport = std::move(*transport);
  m_transport_cert = std::move(cert);
  return {};
}

Result<KubeApi::Session> KubeApi::session(bool force) {
  const std::lock_guard lock(m_mutex);
  KEYD_TRY(refresh_credentials(force));
  return Session{m_transport, m_token.clone()};
}

namespace {
// The timeout of the innermost SpeculativeCalls on this thread; zero: none.
thread_local std::chrono::milliseconds t_speculative{0};
}  // namespace

KubeApi::SpeculativeCalls::SpeculativeCalls(std::chrono::milliseconds timeout)
    : m_previous(std::exchange(t_speculative, timeout)) {}
KubeApi::SpeculativeCalls::~SpeculativeCalls() { t_speculative = m_previous; }

ports::HttpRequest KubeApi::build(const Call& call, const Secret& token) const {
  ports::HttpRequest request;
  request.method = call.method;
  request.url = fmt::format("{}{}{}{}", m_connection.server, call.path, call.query.empty() ? "" : "?", call.query);
  if (!token.empty()) request.headers.push_back({"Authorization", fmt::format("Bearer {}", token.reveal_text()), true});
  request.headers.push_back({"Accept", "application/json", false});
  request.headers.push_back({"User-Agent", k_user_agent, false});
  if (!call.content_type.empty()) request.headers.push_back({"Content-Type", call.content_type, false});
  request.body = call.body.clone();
  request.total_timeout = call.timeout > std::chrono::milliseconds::zero() ? call.timeout : m_options.request_timeout;
  if (t_speculative > std::chrono::milliseconds::zero()) request.total_timeout = std::min(request.total_timeout, t_speculative);
  request.connect_timeout = std::min(m_options.connect_timeout, request.total_timeout);
  return request;
}

Result<ports::HttpResponse> KubeApi::send_with_retries(const Session& session, const Call& call, int max_attempts) {
  if (t_speculative > std::chrono::milliseconds::zero()) max_attempts = 1;
  const std::string what = fmt::format("kubernetes {} {}", call.method, call.path);
  return m_retry.run(
      [&]() -> detail::Attempt {
        auto response = session.transport->send(build(call, session.token));
        if (!response) {
          const bool retryable = detail::is_retryable_transport_error(response.error());
          return std::unexpected(detail::AttemptFailure{std::move(response).error(), retryable, std::nullopt});
        }
        // 2xx, and 401: the caller refreshes the credentials.
        if ((response->status >= 200 && response->status < 300) || response->status == 401) return std::move(*response);
        return std::unexpected(detail::AttemptFailure{kube::status_error(what, response->status, response->body),
                                                      kube::is_retryable_status(response->status),
                                                      detail::retry_after_of(*response)});
      },
      max_attempts);
}

// No lock is held while a request is in flight or a retry sleeps: the lease elector, TokenReviews
// and the Kubernetes targets share this client, and a renewal must not wait for a Secret write's
// backoff (docs/races.md). Chosen over a second KubeApi for the elector: one place, and it also
// keeps TokenReviews (API workers) from queueing behind the loop thread's writes.
Result<ports::HttpResponse> KubeApi::call(const Call& call, int max_attempts) {
  KEYD_ASSIGN_OR_RETURN(auto current, session(false));
  auto response = send_with_retries(current, call, max_attempts);
  if (!response || response->status != 401) return response;
  // The token may have rotated or expired: fetch the credentials again once, then give up.
  const std::string what = fmt::format("kubernetes {} {}", call.method, call.path);
  spdlog::info("{}: 401 Unauthorized; refreshing the credentials of {}", what, m_connection.description);
  auto refreshed = session(true);
  if (!refreshed) {
    return fail(ErrorCode::unauthorized, fmt::format("{}: 401 Unauthorized; refreshing the credentials failed: {}",
                                                     what, refreshed.error().message));
  }
  response = send_with_retries(*refreshed, call, max_attempts);
  if (response && response->status == 401) {
    return fail(ErrorCode::unauthorized,
                fmt::format("{}: 401 Unauthorized: the API server rejects the credentials of {} (even after a refresh)",
                            what, m_connection.description));
  }
  return response;
}

Result<kube::SecretJson> KubeApi::call_json(const Call& call, int max_attempts) {
  KEYD_ASSIGN_OR_RETURN(auto response, this->call(call, max_attempts));
  return kube::parse_json(response.body, fmt::format("kubernetes {} {}", call.method, call.path));
}

Result<std::shared_ptr<KubeApi>> make_kube_api(KubeConnection connection, const ports::Clock& clock,
                                               ports::Random& random, std::chrono::milliseconds request_timeout) {
  if (!connection.server.starts_with("https://") && !connection.server.starts_with("http://")) {
    return fail(ErrorCode::invalid_config,
                fmt::format("kubernetes server {:?} ({}) must be an https:// URL", connection.server,
                            connection.description));
  }
  while (connection.server.ends_with('/')) connection.server.pop_back();
  kube::ApiOptions options;
  options.request_timeout = request_timeout;
  return std::make_shared<KubeApi>(std::move(connection), clock, random,
                                   [](const ports::TlsOptions& tls) { return make_curl_transport(tls); }, options);
}

}  // namespace keyd::adapters
