// KubeApi: one Kubernetes API call with everything around it — the bearer token (marked
// sensitive) and client certificate of the connection's credential source, JSON headers and a
// User-Agent, timeouts on every request, bounded retries with backoff and jitter for 429/5xx and
// connection failures (honouring Retry-After), one credential refresh after a 401, and the status
// mapping of kube_status.hpp. Only 2xx answers come back. Safe to call from several threads at
// once: calls run concurrently (the transport gives each transfer its own handle); the mutex
// guards only the credentials and the transport they were made for, never a request or a backoff
// sleep (docs/races.md: a Secret write retrying against a slow API server held a lease renewal
// past its deadline while one lock covered the whole call).
#pragma once

#include "../retry/retry_policy.hpp"
#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/domain/backoff.hpp"
#include "keyd/ports/random.hpp"
#include "kube_json.hpp"
#include "kube_names.hpp"
#include "kube_paths.hpp"
#include "kube_status.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace keyd::adapters {

namespace kube {

enum class PatchType { strategic_merge, merge, json };

struct ApiOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  domain::BackoffPolicy backoff{};
};

// Makes the transport for a set of TLS options (the connection's, plus a client certificate from
// exec credentials). Tests inject fakes here; make_kube_api uses make_curl_transport.
using TransportFactory = std::function<Result<std::unique_ptr<ports::HttpTransport>>(const ports::TlsOptions&)>;

}  // namespace kube

class KubeApi {
 public:
  // While one is alive, the calls its thread makes (through any KubeApi) make one attempt each and
  // give up after `timeout` (connect included): for reads made ahead of time on a thread of their
  // own, whose failure the caller redoes with the usual retries when it needs the answer, and whose
  // waiting must stay short when it does not (a rotation that failed before its delivery ends only
  // once they did). Scopes nest; the innermost wins.
  class SpeculativeCalls {
   public:
    explicit SpeculativeCalls(std::chrono::milliseconds timeout);
    ~SpeculativeCalls();
    SpeculativeCalls(const SpeculativeCalls&) = delete;
    SpeculativeCalls& operator=(const SpeculativeCalls&) = delete;

   private:
    std::chrono::milliseconds m_previous;
  };

  // The clock and `random` (the jitter of the retries) must outlive the client.
  KubeApi(KubeConnection connection, const ports::Clock& clock, ports::Random& random, kube::TransportFactory factory,
          kube::ApiOptions options = {});

  // `path` is an API path such as /api/v1/namespaces/x/secrets/y; bodies are JSON objects.
  [[nodiscard]] Result<kube::SecretJson> get(std::string_view path);
  [[nodiscard]] Result<kube::SecretJson> list(std::string_view path, std::string_view label_selector);
  [[nodiscard]] Result<kube::SecretJson> create(std::string_view path, const kube::SecretJson& body);
  // create() without retries (one attempt, plus the credential refresh after a 401): for calls
  // made while a client waits, such as a TokenReview, which must not multiply under API errors.
  // A `timeout` above zero replaces the request timeout (connect included).
  [[nodiscard]] Result<kube::SecretJson> create_once(std::string_view path, const kube::SecretJson& body,
                                                     std::chrono::milliseconds timeout = {});
  // get() and replace() the same way: for a caller with a deadline that retries on its own
  // schedule (leader election: its next round).
  [[nodiscard]] Result<kube::SecretJson> get_once(std::string_view path, std::chrono::milliseconds timeout);
  [[nodiscard]] Result<kube::SecretJson> replace_once(std::string_view path, const kube::SecretJson& body,
                                                      std::chrono::milliseconds timeout);
  [[nodiscard]] Result<kube::SecretJson> replace(std::string_view path, const kube::SecretJson& body);
  [[nodiscard]] Result<kube::SecretJson> patch(std::string_view path, kube::PatchType type, const kube::SecretJson& body,
                                               std::string_view field_manager);
  // DELETE; `options` (a DeleteOptions object, e.g. with preconditions) is sent when not null.
  [[nodiscard]] Status remove(std::string_view path, const kube::SecretJson& options = nullptr);

  [[nodiscard]] const KubeConnection& connection() const { return m_connection; }

 private:
  struct Call {
    std::string method;
    std::string path;
    std::string query;         // without '?'
    std::string content_type;  // empty: no body
    Secret body;
    std::chrono::milliseconds timeout{0};  // 0: the request timeout option
  };
  // What one call sends with: the transport and token current when it started (a refresh by
  // another call replaces the members, not these).
  struct Session {
    std::shared_ptr<ports::HttpTransport> transport;
    Secret token;
  };
  // max_attempts 0: the backoff policy's.
  [[nodiscard]] Result<ports::HttpResponse> call(const Call& call, int max_attempts = 0);
  [[nodiscard]] Result<kube::SecretJson> call_json(const Call& call, int max_attempts = 0);
  [[nodiscard]] Result<ports::HttpResponse> send_with_retries(const Session& session, const Call& call,
                                                              int max_attempts);
  // Refreshes the credentials under m_mutex (only for that) and hands out a session.
  [[nodiscard]] Result<Session> session(bool force);
  [[nodiscard]] Status refresh_credentials(bool force);  // m_mutex held
  [[nodiscard]] ports::HttpRequest build(const Call& call, const Secret& token) const;

  KubeConnection m_connection;
  kube::TransportFactory m_factory;
  kube::ApiOptions m_options;
  detail::RetryPolicy m_retry;  // stateless between runs: shared by concurrent calls

  std::mutex m_mutex;  // guards the three below
  std::shared_ptr<ports::HttpTransport> m_transport;
  std::string m_transport_cert;  // the client certificate m_transport was made with
  Secret m_token;
};

}  // namespace keyd::adapters
