// KubeApi over a scripted transport and a FakeClock: headers, bodies, query strings, retries with
// Retry-After, one credential refresh after 401, a new transport when the client certificate changes.
#include "kube/kube_api.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;
using kube::SecretJson;

struct Scripted {
  int status = 200;
  std::string body = "{}";
  std::vector<ports::HttpHeader> headers;
  std::optional<Error> error;  // a transport failure instead of an answer
};

struct Shared {
  std::deque<Scripted> script;
  std::vector<ports::HttpRequest> sent;
  std::vector<ports::TlsOptions> transports;  // one per transport made
};

class ScriptedTransport final : public ports::HttpTransport {
 public:
  explicit ScriptedTransport(std::shared_ptr<Shared> shared) : m_shared(std::move(shared)) {}
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    ports::HttpRequest copy;
    copy.method = request.method;
    copy.url = request.url;
    copy.headers = request.headers;
    copy.body = request.body.clone();
    copy.connect_timeout = request.connect_timeout;
    copy.total_timeout = request.total_timeout;
    m_shared->sent.push_back(std::move(copy));
    if (m_shared->script.empty()) return fail(ErrorCode::internal, "script exhausted");
    Scripted next = std::move(m_shared->script.front());
    m_shared->script.pop_front();
    if (next.error) return fail(*next.error);
    ports::HttpResponse response;
    response.status = next.status;
    response.headers = next.headers;
    response.body = Secret::from_text(next.body);
    return response;
  }

 private:
  std::shared_ptr<Shared> m_shared;
};

// Hands out a token, and a client certificate that changes on every refresh.
class Credentials final : public KubeCredentialSource {
 public:
  Result<KubeCredentials> get(bool refresh) override {
    if (refresh) ++refreshes;
    KubeCredentials c;
    c.bearer_token = Secret::from_text("tok-" + std::to_string(refreshes));
    if (with_cert) {
      c.client_cert_pem = "CERT-" + std::to_string(refreshes);
      c.client_key_pem = std::make_shared<const Secret>(Secret::from_text("KEY"));
    }
    return c;
  }
  int refreshes = 0;
  bool with_cert = false;
};

class KubeApiTest : public ::testing::Test {
 protected:
  KubeApi& api() {
    if (!m_api) {
      KubeConnection conn;
      conn.server = "https://kube.test:6443";
      conn.tls.ca_file = "/ca.pem";
      conn.credentials = m_creds;
      conn.description = "kubeconfig test";
      m_api = std::make_unique<KubeApi>(conn, m_clock, m_random, [shared = m_shared](const ports::TlsOptions& tls) {
        shared->transports.push_back(tls);
        return Result<std::unique_ptr<ports::HttpTransport>>(std::make_unique<ScriptedTransport>(shared));
      });
    }
    return *m_api;
  }
  void answer(int status, std::string body = "{}", std::vector<ports::HttpHeader> headers = {}) {
    m_shared->script.push_back({status, std::move(body), std::move(headers), std::nullopt});
  }
  [[nodiscard]] static std::string header(const ports::HttpRequest& r, const std::string& name) {
    for (const auto& h : r.headers) {
      if (h.name == name) return h.value;
    }
    return "<none>";
  }

  std::shared_ptr<Shared> m_shared = std::make_shared<Shared>();
  std::shared_ptr<Credentials> m_creds = std::make_shared<Credentials>();
  testing::FakeClock m_clock;
  testing::FixedRandom m_random;
  std::unique_ptr<KubeApi> m_api;
};

TEST_F(KubeApiTest, RequestsCarryHeadersBodiesAndTimeouts) {
  answer(200, R"({"kind":"Secret"})");
  answer(201);
  answer(200);
  answer(200, R"({"items":[]})");
  answer(200);
  ASSERT_TRUE(api().get("/api/v1/namespaces/a/secrets/b"));
  SecretJson body;
  body["data"]["k"] = "dmFsdWU=";
  ASSERT_TRUE(api().create("/api/v1/namespaces/a/secrets", body));
  ASSERT_TRUE(api().patch("/apis/apps/v1/namespaces/a/statefulsets/s", kube::PatchType::strategic_merge, body, "keyd"));
  ASSERT_TRUE(api().list("/api/v1/namespaces/a/pods", "app=ipfs,tier in (x)"));
  ASSERT_TRUE(api().remove("/api/v1/namespaces/a/pods/p"));

  const auto& sent = m_shared->sent;
  ASSERT_EQ(sent.size(), 5U);
  EXPECT_EQ(sent[0].method, "GET");
  EXPECT_EQ(sent[0].url, "https://kube.test:6443/api/v1/namespaces/a/secrets/b");
  EXPECT_EQ(header(sent[0], "Authorization"), "Bearer tok-0");
  for (const auto& h : sent[0].headers) EXPECT_EQ(h.sensitive, h.name == "Authorization") << h.name;
  EXPECT_EQ(header(sent[0], "Accept"), "application/json");
  EXPECT_TRUE(header(sent[0], "User-Agent").starts_with("keyd/"));
  EXPECT_EQ(header(sent[0], "Content-Type"), "<none>");
  EXPECT_GT(sent[0].total_timeout.count(), 0);
  EXPECT_GT(sent[0].connect_timeout.count(), 0);
  EXPECT_EQ(sent[1].method, "POST");
  EXPECT_EQ(header(sent[1], "Content-Type"), "application/json");
  EXPECT_EQ(sent[1].body.reveal_text(), R"({"data":{"k":"dmFsdWU="}})");
  EXPECT_EQ(sent[2].method, "PATCH");
  EXPECT_EQ(sent[2].url, "https://kube.test:6443/apis/apps/v1/namespaces/a/statefulsets/s?fieldManager=keyd");
  EXPECT_EQ(header(sent[2], "Content-Type"), "application/strategic-merge-patch+json");
  EXPECT_EQ(sent[3].url, "https://kube.test:6443/api/v1/namespaces/a/pods?labelSelector=app%3Dipfs%2Ctier%20in%20%28x%29");
  EXPECT_EQ(sent[4].method, "DELETE");
  EXPECT_TRUE(sent[4].body.empty());
  ASSERT_EQ(m_shared->transports.size(), 1U);
  EXPECT_EQ(m_shared->transports[0].ca_file, "/ca.pem");
}

TEST_F(KubeApiTest, RetriesUnavailableHonouringRetryAfter) {
  answer(503, R"({"kind":"Status","message":"etcd leader changed","code":503})", {{"retry-after", "3", false}});
  m_shared->script.push_back({0, "", {}, Error{ErrorCode::unavailable, "connection refused"}});
  answer(429);
  answer(200, R"({"ok":true})");
  const auto got = api().get("/api/v1/namespaces/a/secrets/b");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(m_shared->sent.size(), 4U);
  ASSERT_EQ(m_clock.sleeps().size(), 3U);
  EXPECT_EQ(m_clock.sleeps()[0], 3s) << "Retry-After wins when longer";
  EXPECT_LT(m_clock.sleeps()[1], 1s);
}

TEST_F(KubeApiTest, GivesUpAfterBoundedAttempts) {
  for (int i = 0; i < 4; ++i) answer(500, R"({"kind":"Status","message":"boom","code":500})");
  const auto got = api().get("/api/v1/namespaces/a/secrets/b");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::unavailable);
  EXPECT_EQ(got.error().message, "kubernetes GET /api/v1/namespaces/a/secrets/b: 500 boom (after 4 attempts)");
  EXPECT_EQ(m_shared->sent.size(), 4U);
}

TEST_F(KubeApiTest, ClientErrorsAreNotRetried) {
  answer(404, R"({"kind":"Status","message":"secrets \"b\" not found","reason":"NotFound","code":404})");
  answer(409, R"({"kind":"Status","message":"conflict","reason":"Conflict","code":409})");
  answer(403, R"({"kind":"Status","message":"secrets \"b\" is forbidden: User \"u\" cannot get resource \"secrets\"","code":403})");
  EXPECT_EQ(api().get("/p").error().code, ErrorCode::not_found);
  EXPECT_EQ(api().replace("/p", SecretJson::object()).error().code, ErrorCode::conflict);
  const auto denied = api().get("/p");
  EXPECT_EQ(denied.error().code, ErrorCode::unauthorized);
  EXPECT_NE(denied.error().message.find("cannot get resource \"secrets\""), std::string::npos);
  EXPECT_EQ(m_shared->sent.size(), 3U);
  EXPECT_TRUE(m_clock.sleeps().empty());
  EXPECT_EQ(m_creds->refreshes, 0) << "403 is not a credentials problem";
}

TEST_F(KubeApiTest, A401RefreshesTheCredentialsOnce) {
  answer(401, R"({"kind":"Status","message":"Unauthorized","code":401})");
  answer(200);
  ASSERT_TRUE(api().get("/p"));
  EXPECT_EQ(m_creds->refreshes, 1);
  EXPECT_EQ(header(m_shared->sent[1], "Authorization"), "Bearer tok-1");

  answer(401);
  answer(401);
  const auto got = api().get("/p");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::unauthorized);
  EXPECT_NE(got.error().message.find("kubeconfig test"), std::string::npos) << got.error().message;
  EXPECT_EQ(m_creds->refreshes, 2);
  EXPECT_EQ(m_shared->sent.size(), 4U);
  for (const auto& r : m_shared->sent) EXPECT_EQ(got.error().message.find(header(r, "Authorization")), std::string::npos);
}

TEST_F(KubeApiTest, ANewClientCertificateMeansANewTransport) {
  m_creds->with_cert = true;
  answer(200);
  answer(401);
  answer(200);
  answer(200);
  ASSERT_TRUE(api().get("/p"));
  ASSERT_TRUE(api().get("/p"));  // 401 → refresh → CERT-1
  ASSERT_TRUE(api().get("/p"));  // same certificate: same transport
  ASSERT_EQ(m_shared->transports.size(), 2U);
  EXPECT_EQ(m_shared->transports[0].client_cert_pem, "CERT-0");
  EXPECT_EQ(m_shared->transports[1].client_cert_pem, "CERT-1");
  ASSERT_NE(m_shared->transports[1].client_key_pem, nullptr);
  EXPECT_EQ(m_shared->transports[1].client_key_pem->reveal_text(), "KEY");
}

TEST_F(KubeApiTest, MakeKubeApiChecksTheServer) {
  KubeConnection conn;
  conn.server = "kube.test:6443";
  conn.description = "kubeconfig x";
  const auto api = make_kube_api(conn, m_clock, m_random);
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, ErrorCode::invalid_config);
  conn.server = "https://kube.test:6443/";
  const auto ok = make_kube_api(conn, m_clock, m_random);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)->connection().server, "https://kube.test:6443");
}

}  // namespace
}  // namespace keyd::adapters
