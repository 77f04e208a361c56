// GET /v1/swarms/{name}/key over the wire: the daemon's HTTP server on 127.0.0.1 (port chosen at
// run time) with both authenticators — a tokens file and TokenReviews against the kube-apiserver
// double — in front of server::DaemonApi. The auth matrix as a client sees it (status, error code,
// WWW-Authenticate, Cache-Control), the pod of a bound service-account token in the audit trail,
// and neither the key nor a token in any log line.
#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/adapters/http/http_server.hpp"
#include "keyd/adapters/kube/kube_auth.hpp"
#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/server/daemon_api.hpp"

#include "daemon_http_support.hpp"
#include "unit/app/daemon_test_support.hpp"
#include "support/http_test_client.hpp"
#include "support/kube_double.hpp"
#include "support/log_capture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>


namespace keyd::app {
namespace {

using nlohmann::json;

constexpr const char* k_overlay_sa = "system:serviceaccount:ipfs:ipfs-overlay";
constexpr const char* k_agent_token = "agent-token-0123456789";
constexpr const char* k_ci_token = "ci-token-0123456789";

struct Answer {
  int status = 0;
  std::string body;
  std::string cache_control;
  std::string www_authenticate;
  [[nodiscard]] json parsed() const { return json::parse(body); }
};

class DaemonKeyHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  static testing::KubeDouble& kube() { return *s_kube; }

  void SetUp() override {
    kube().reset();
    m_capture = std::make_unique<testing::LogCapture>(spdlog::level::trace);
    // A tokens file: "agent" reads the key, "ci" may rotate but not read it.
    const auto tokens = m_dir / "tokens";
    testing::write_tokens_file(tokens, {{k_agent_token, "agent"}, {k_ci_token, "ci"}});
    auto tokens_auth = adapters::make_tokens_file_authenticator(tokens.string());
    ASSERT_TRUE(tokens_auth) << tokens_auth.error().message;

    adapters::KubeConnection conn;
    conn.server = kube().address();
    conn.default_namespace = "default";
    conn.tls.ca_file = kube().ca_file();
    conn.credentials = std::make_shared<testing::AdminCredentials>(kube().admin_token());
    conn.description = "test connection";
    auto api = adapters::make_kube_api(conn, f.clock, m_random);
    ASSERT_TRUE(api) << api.error().message;
    auto review = adapters::make_tokenreview_authenticator({{"keyd"}, {}, std::chrono::seconds{10}}, *api, f.clock);

    KeyAccess keys{m_store, f.audit, {}};
    keys.swarms.push_back(KeyReaders{"a", "a/swarm-key", {"token:agent", std::string("k8s:") + k_overlay_sa}});
    m_service = std::make_unique<DaemonService>(f.make({}, true), f.clock, std::move(keys));
    m_api = std::make_unique<server::DaemonApi>(*m_service, nullptr, "test");
    m_service->set_leadership({true, true, "me", {}});
    m_service->tick();  // issues the first key
    ASSERT_EQ(f.current_version(), 1);

    adapters::HttpServerOptions options;
    options.port = 0;
    auto server = adapters::start_http_server(options, *m_api, {*tokens_auth, review});
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
    auto client = adapters::make_curl_transport({});
    ASSERT_TRUE(client) << client.error().message;
    m_client = std::move(*client);
  }

  void TearDown() override {
    m_client.reset();  // closes its kept-alive connections, so stop() does not wait for them to time out
    if (m_server) m_server->stop();
    const std::string log = m_capture->text();
    m_capture.reset();
    for (const std::string& secret : m_secrets) EXPECT_EQ(log.find(secret), std::string::npos) << "leaked into the log";
    EXPECT_EQ(log.find("/key/swarm/psk"), std::string::npos) << log;
  }

  Answer get(const std::string& path, const std::string& token = {}, const std::string& method = "GET") {
    ports::HttpRequest request;
    request.method = method;
    request.url = fmt::format("http://127.0.0.1:{}{}", m_server->port(), path);
    if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token, true});
    request.total_timeout = std::chrono::seconds{5};
    auto response = m_client->send(request);
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {};
    Answer a{response->status, std::string(response->body.reveal_text()), {}, {}};
    if (auto v = response->header("cache-control")) a.cache_control = *v;
    if (auto v = response->header("www-authenticate")) a.www_authenticate = *v;
    return a;
  }

  // A service-account token from the double; remembered so the log is searched for it.
  std::string sa_token(const std::string& user, const json& audiences, const std::string& pod = {},
                       const std::string& uid = {}) {
    m_secrets.push_back(kube().service_account_token(user, audiences, pod, uid));
    return m_secrets.back();
  }

  std::string stored_key() {
    auto stored = f.store.inner.read("a/swarm-key", std::nullopt);
    EXPECT_TRUE(stored.has_value());
    std::string text = stored ? std::string(stored->data.key_text.reveal_text()) : std::string();
    if (!text.empty()) m_secrets.push_back(text.substr(text.size() - 65, 64));
    return text;
  }

  testing::TempDir m_dir;
  testing::DaemonFixture f;
  testing::FixedRandom m_random;
  SerialisedStore m_store{f.store};
  std::unique_ptr<testing::LogCapture> m_capture;
  std::unique_ptr<DaemonService> m_service;
  std::unique_ptr<server::DaemonApi> m_api;
  std::unique_ptr<adapters::HttpServer> m_server;
  std::unique_ptr<ports::HttpTransport> m_client;
  std::vector<std::string> m_secrets{k_agent_token, k_ci_token};
  inline static std::unique_ptr<testing::KubeDouble> s_kube;
};

TEST_F(DaemonKeyHttpTest, AuthMatrixOverTheWire) {
  const std::string key = stored_key();
  const std::string bound = sa_token(k_overlay_sa, {"keyd"}, "ipfs-0", "0f6e2a57-3c1d-4f9e-9d1a-7b2c5e8f0a11");
  const std::string other_sa = sa_token("system:serviceaccount:ipfs:other", {"keyd"}, "other-0");
  const std::string wrong_audience = sa_token(k_overlay_sa, {"vault"}, "ipfs-1");
  struct Case {
    std::string what;
    std::string path;
    std::string token;
    int status;
    const char* code;
  };
  for (const Case& c : std::vector<Case>{
           {"no token", "/v1/swarms/a/key", "", 401, "unauthenticated"},
           {"unknown token", "/v1/swarms/a/key", "kd-never-issued", 401, "unauthenticated"},
           {"TokenReview: wrong audience", "/v1/swarms/a/key", wrong_audience, 401, "unauthenticated"},
           {"tokens file, not a reader", "/v1/swarms/a/key", k_ci_token, 403, "forbidden"},
           {"TokenReview, not a reader", "/v1/swarms/a/key", other_sa, 403, "forbidden"},
           {"unknown swarm", "/v1/swarms/b/key", k_agent_token, 404, "not_found"},
           {"tokens file reader", "/v1/swarms/a/key", k_agent_token, 200, nullptr},
           {"bound service account", "/v1/swarms/a/key", bound, 200, nullptr},
       }) {
    const Answer a = get(c.path, c.token);
    EXPECT_EQ(a.status, c.status) << c.what << ": " << a.body;
    if (c.code != nullptr) {
      EXPECT_EQ(a.parsed()["error"]["code"], c.code) << c.what << ": " << a.body;
      EXPECT_EQ(a.body.find(key.substr(key.size() - 65, 64)), std::string::npos) << c.what;
      if (c.status == 401) {
        EXPECT_EQ(a.www_authenticate, "Bearer realm=\"keyd\"") << c.what;
      }
    } else {
      EXPECT_EQ(a.cache_control, "no-store") << c.what;
      EXPECT_EQ(a.parsed()["key"], key) << c.what;
      EXPECT_EQ(a.parsed()["version"], 1) << c.what;
    }
  }
  const auto& last = f.audit.events.back();
  EXPECT_EQ(last.action, "fetch");
  EXPECT_EQ(last.outcome, "success");
  EXPECT_EQ(last.actor, "k8s:system:serviceaccount:ipfs:ipfs-overlay pod=ipfs-0 pod_uid=0f6e2a57-3c1d-4f9e-9d1a-7b2c5e8f0a11");
  EXPECT_EQ(get("/v1/swarms/a/key", other_sa).parsed()["error"]["message"],
            "k8s:system:serviceaccount:ipfs:other may not read the key of swarm a (not in swarms[].key_readers)");
}

TEST_F(DaemonKeyHttpTest, AnApiServerThatCannotReviewIs503AndAStoreThatCannotReadIs503) {
  (void)stored_key();
  const std::string bound = sa_token(k_overlay_sa, {"keyd"}, "ipfs-0");
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/tokenreviews$"}, {"status", 503}, {"times", 100}});
  Answer a = get("/v1/swarms/a/key", bound);
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_EQ(a.parsed()["error"]["code"], "unavailable");
  EXPECT_TRUE(a.cache_control.empty());

  f.store.failure = Error{ErrorCode::unavailable, "GET /v1/secret/data/a/swarm-key: 503 Vault is sealed"};
  a = get("/v1/swarms/a/key", k_agent_token);
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_EQ(a.parsed()["error"]["code"], "store_unavailable");
  EXPECT_NE(a.parsed()["error"]["message"].get<std::string>().find("503 Vault is sealed"), std::string::npos);
}

TEST_F(DaemonKeyHttpTest, OnlyGetIsAllowed) {
  const Answer a = get("/v1/swarms/a/key", k_agent_token, "DELETE");
  EXPECT_EQ(a.status, 405) << a.body;
  EXPECT_EQ(a.parsed()["error"]["code"], "method_not_allowed");
}

}  // namespace
}  // namespace keyd::app
