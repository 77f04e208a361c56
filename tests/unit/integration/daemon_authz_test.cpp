// Authorization of the daemon's HTTP API over a real socket (127.0.0.1, port chosen at run time):
// the daemon's HTTP server with both authenticators — a tokens file and TokenReviews against the
// kube-apiserver double — in front of server::DaemonApi. Every caller kind (none, bad token, reader,
// operator, reader+operator; tokens file and k8s:) against every endpoint: swarms[].key_readers
// may only read the key, swarms[].operators may only rotate and sync, any authenticated caller may
// list, and the probes answer everybody. A refusal is 403 naming the missing grant, audited, and
// writes no version.
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

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>


namespace keyd::app {
namespace {

using nlohmann::json;

constexpr const char* k_reader_token = "reader-token-0123456789";
constexpr const char* k_operator_token = "operator-token-0123456789";
constexpr const char* k_both_token = "both-token-0123456789";
constexpr const char* k_reader_sa = "system:serviceaccount:ipfs:reader";
constexpr const char* k_operator_sa = "system:serviceaccount:ops:operator";
constexpr const char* k_both_sa = "system:serviceaccount:ops:both";

struct Answer {
  int status = 0;
  std::string body;
};

// The grants of swarm "a", as the wiring builds them from swarms[].key_readers and swarms[].operators.
KeyReaders grants(std::vector<std::string> readers, std::vector<std::string> operators) {
  KeyReaders k{"a", "a/swarm-key", std::move(readers)};
  k.operators = std::move(operators);
  return k;
}

class DaemonAuthzTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  static testing::KubeDouble& kube() { return *s_kube; }

  void start(std::vector<std::string> allowed_users = {}) {
    kube().reset();
    const auto tokens = m_dir / "tokens";
    testing::write_tokens_file(tokens, {{k_reader_token, "reader"}, {k_operator_token, "operator"}, {k_both_token, "both"}});
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
    adapters::TokenReviewOptions review_options{{"keyd"}, std::move(allowed_users), std::chrono::seconds{10}};
    auto review = adapters::make_tokenreview_authenticator(review_options, *api, f.clock);

    KeyAccess keys{m_store, f.audit, {}};
    keys.swarms.push_back(grants({"token:reader", "token:both", std::string("k8s:") + k_reader_sa,
                                  std::string("k8s:") + k_both_sa},
                                 {"token:operator", "token:both", std::string("k8s:") + k_operator_sa,
                                  std::string("k8s:") + k_both_sa}));
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
  }

  Answer call(const std::string& method, const std::string& path, const std::string& token) {
    ports::HttpRequest request;
    request.method = method;
    request.url = fmt::format("http://127.0.0.1:{}{}", m_server->port(), path);
    if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token, true});
    request.total_timeout = std::chrono::seconds{5};
    auto response = m_client->send(request);
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {};
    return Answer{response->status, std::string(response->body.reveal_text())};
  }

  std::string sa_token(const std::string& user, const json& audiences) {
    return kube().service_account_token(user, audiences, "pod-0", "uid-0");
  }

  testing::TempDir m_dir;
  testing::DaemonFixture f;
  testing::FixedRandom m_random;
  SerialisedStore m_store{f.store};
  std::unique_ptr<DaemonService> m_service;
  std::unique_ptr<server::DaemonApi> m_api;
  std::unique_ptr<adapters::HttpServer> m_server;
  std::unique_ptr<ports::HttpTransport> m_client;
  inline static std::unique_ptr<testing::KubeDouble> s_kube;
};

struct CallerCase {
  std::string what;
  std::string name;  // Caller::name; empty when unauthenticated
  std::string token;
  bool authenticated;
  bool reader;
  bool op;
};

TEST_F(DaemonAuthzTest, EveryCallerAgainstEveryEndpoint) {
  start();
  const std::vector<CallerCase> callers{
      {"no token", "", "", false, false, false},
      {"bad token", "", "kd-never-issued", false, false, false},
      {"TokenReview, wrong audience", "", sa_token(k_both_sa, {"vault"}), false, false, false},
      {"token reader", "token:reader", k_reader_token, true, true, false},
      {"token operator", "token:operator", k_operator_token, true, false, true},
      {"token reader+operator", "token:both", k_both_token, true, true, true},
      {"k8s reader", std::string("k8s:") + k_reader_sa, sa_token(k_reader_sa, {"keyd"}), true, true, false},
      {"k8s operator", std::string("k8s:") + k_operator_sa, sa_token(k_operator_sa, {"keyd"}), true, false, true},
      {"k8s reader+operator", std::string("k8s:") + k_both_sa, sa_token(k_both_sa, {"keyd"}), true, true, true},
  };
  for (const CallerCase& c : callers) {
    SCOPED_TRACE(c.what);
    for (const char* probe : {"/healthz", "/readyz", "/metrics"}) {
      EXPECT_EQ(call("GET", probe, c.token).status, 200) << probe;
    }
    const int listing = c.authenticated ? 200 : 401;
    for (const char* path : {"/v1/swarms", "/v1/swarms/a"}) {
      const Answer a = call("GET", path, c.token);
      EXPECT_EQ(a.status, listing) << path << ": " << a.body;
      EXPECT_EQ(a.body.find("\"key\""), std::string::npos) << path << ": a listing never carries a key";
    }
    const Answer key = call("GET", "/v1/swarms/a/key", c.token);
    EXPECT_EQ(key.status, !c.authenticated ? 401 : c.reader ? 200 : 403) << key.body;
    if (c.authenticated && !c.reader) {
      EXPECT_EQ(json::parse(key.body)["error"]["message"],
                c.name + " may not read the key of swarm a (not in swarms[].key_readers)");
    }
    for (const char* action : {"rotate", "sync"}) {
      const int before = f.current_version();
      const std::size_t audited = f.audit.events.size();
      const Answer a = call("POST", fmt::format("/v1/swarms/a/{}", action), c.token);
      const int expected = !c.authenticated ? 401 : c.op ? 200 : 403;
      EXPECT_EQ(a.status, expected) << action << ": " << a.body;
      const int written = std::string_view(action) == "rotate" && c.op ? 1 : 0;
      EXPECT_EQ(f.current_version(), before + written) << action;
      if (expected == 403) {
        EXPECT_EQ(json::parse(a.body)["error"]["code"], "forbidden");
        EXPECT_EQ(json::parse(a.body)["error"]["message"],
                  fmt::format("caller {} is not an operator of swarm a (swarms[].operators)", c.name));
        ASSERT_EQ(f.audit.events.size(), audited + 1) << action << ": the refusal is audited, once";
        const auto& e = f.audit.events.back();
        EXPECT_EQ(e.action, action);
        EXPECT_EQ(e.outcome, "failure");
        EXPECT_EQ(e.swarm, "a");
        EXPECT_EQ(e.actor.substr(0, c.name.size()), c.name);
      }
    }
  }
}

TEST_F(DaemonAuthzTest, AReaderCannotRotateAndNothingIsWritten) {
  start();
  const std::size_t audited = f.audit.events.size();
  const Answer a = call("POST", "/v1/swarms/a/rotate", k_reader_token);
  EXPECT_EQ(a.status, 403) << a.body;
  EXPECT_EQ(f.current_version(), 1) << "a key reader is not a writer";
  ASSERT_EQ(f.audit.events.size(), audited + 1);
  EXPECT_EQ(f.audit.events.back().action, "rotate");
  EXPECT_EQ(f.audit.events.back().outcome, "failure");
  EXPECT_EQ(f.audit.events.back().actor, "token:reader");

  const Answer ok = call("POST", "/v1/swarms/a/rotate", k_operator_token);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(f.current_version(), 2) << "an operator's rotation writes one version";
}

TEST_F(DaemonAuthzTest, AnUnknownSwarmIs404ForAnyAuthenticatedCaller) {
  start();
  EXPECT_EQ(call("POST", "/v1/swarms/b/rotate", k_operator_token).status, 404);
  EXPECT_EQ(call("POST", "/v1/swarms/b/sync", k_reader_token).status, 404);
}

TEST_F(DaemonAuthzTest, AllowedUsersStaysAnExtraGateForTokenReviewCallers) {
  start({k_both_sa});
  const std::string op = sa_token(k_operator_sa, {"keyd"});
  const Answer refused = call("POST", "/v1/swarms/a/rotate", op);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["error"]["message"],
            fmt::format("caller k8s:{} may not rotate (not in server.auth.tokenreview.allowed_users)", k_operator_sa));
  EXPECT_EQ(f.audit.events.back().action, "rotate");
  EXPECT_EQ(f.audit.events.back().outcome, "failure");
  EXPECT_EQ(f.current_version(), 1);
  EXPECT_EQ(call("POST", "/v1/swarms/a/rotate", sa_token(k_both_sa, {"keyd"})).status, 200);
  EXPECT_EQ(f.current_version(), 2);
  // Not an operator: allowed_users alone grants nothing.
  const Answer reader = call("POST", "/v1/swarms/a/sync", sa_token(k_reader_sa, {"keyd"}));
  EXPECT_EQ(reader.status, 403) << reader.body;
}

}  // namespace
}  // namespace keyd::app
