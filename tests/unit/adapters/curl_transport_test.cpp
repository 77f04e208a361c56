#include "keyd/adapters/curl_transport.hpp"

#include "curl_test_pki.hpp"
#include "curl_test_servers.hpp"
#include "support/log_capture.hpp"
#include "support/test_support.hpp"


#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;
using curl_test::HttplibServer;
using curl_test::RawServer;
using ports::HttpHeader;
using ports::HttpRequest;
using ports::HttpResponse;

// Recognisable values that must never appear in an error message or a log line.
constexpr const char* k_token = "tok3n-7f3a1c";
constexpr const char* k_body = "b0dy-91c2e8";
constexpr const char* k_query = "qu3ry-55d0b4";

HttpRequest request(std::string method, std::string url, std::string_view body = {},
                    std::vector<HttpHeader> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = Secret::from_text(body);
  r.headers = std::move(headers);
  r.connect_timeout = 2s;
  r.total_timeout = 10s;
  return r;
}

std::unique_ptr<ports::HttpTransport> transport(ports::TlsOptions tls = {}) {
  auto made = make_curl_transport(std::move(tls));
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(*made);
}

std::string url(int port, std::string_view path, std::string_view scheme = "http") {
  return fmt::format("{}://127.0.0.1:{}{}", scheme, port, path);
}

int closed_port() {
  RawServer server(RawServer::Mode::hang_up);
  return server.port();  // nothing listens there once `server` is gone
}

using testing::LogCapture;

ports::TlsOptions trusting(const std::string& ca_file) {
  ports::TlsOptions tls;
  tls.ca_file = ca_file;
  return tls;
}

std::string header_of(const httplib::Headers& headers, const std::string& name) {
  const auto it = headers.find(name);  // case-insensitive
  return it == headers.end() ? std::string() : it->second;
}

// What the echo server saw of the last request.
struct Seen {
  std::mutex mutex;
  std::string method, body, host;
  httplib::Headers headers;
};

// GET/POST/PUT/PATCH/DELETE /echo answer "<METHOD>:<body>" with an X-Echo-Method header; /status/N
// answers N; /redirect answers 307.
std::unique_ptr<httplib::Server> echo_routes(std::unique_ptr<httplib::Server> server, Seen& seen) {
  const auto echo = [&seen](const httplib::Request& req, httplib::Response& res) {
    {
      const std::scoped_lock lock(seen.mutex);
      seen.method = req.method;
      seen.body = req.body;
      seen.headers = req.headers;
      seen.host = req.get_header_value("Host");
    }
    res.set_header("X-Echo-Method", req.method);
    res.set_content(req.method + ":" + req.body, "text/plain");
  };
  server->Get("/echo", echo);
  server->Post("/echo", echo);
  server->Put("/echo", echo);
  server->Patch("/echo", echo);
  server->Delete("/echo", echo);
  server->Get(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = std::stoi(req.matches[1]);
    if (res.status != 204) res.set_content("status body", "text/plain");
  });
  server->Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/echo");
  });
  return server;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  Seen m_seen;
  HttplibServer m_server{echo_routes(std::make_unique<httplib::Server>(), m_seen)};
  std::unique_ptr<ports::HttpTransport> m_transport = transport();  // destroyed first: closes its connections

  std::string echo_url() const { return url(m_server.port(), "/echo"); }
};

TEST_F(CurlTransportTest, GetReturnsStatusBodyAndLowerCasedHeaders) {
  auto response = m_transport->send(request("GET", echo_url() + "?x=1"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.reveal_text(), "GET:");
  ASSERT_TRUE(response->header("x-echo-method"));
  EXPECT_EQ(*response->header("X-ECHO-METHOD"), "GET");
  for (const auto& h : response->headers) {
    EXPECT_TRUE(std::ranges::none_of(h.name, [](unsigned char c) { return std::isupper(c) != 0; })) << h.name;
  }
  EXPECT_EQ(response->header("content-type"), "text/plain");
}

TEST_F(CurlTransportTest, RequestHeadersArriveAndCurlAddsNoExpectOrContentType) {
  auto response = m_transport->send(request("POST", echo_url(), "{}", {{"X-Vault-Token", k_token, true}}));
  ASSERT_TRUE(response) << response.error().message;
  const std::scoped_lock lock(m_seen.mutex);
  EXPECT_EQ(header_of(m_seen.headers, "X-Vault-Token"), std::string(k_token));
  EXPECT_FALSE(m_seen.headers.contains("Expect"));
  EXPECT_FALSE(m_seen.headers.contains("Content-Type"));
  EXPECT_EQ(m_seen.host, fmt::format("127.0.0.1:{}", m_server.port()));
}

TEST_F(CurlTransportTest, BodiesRoundTripForEveryMethod) {
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    auto response =
        m_transport->send(request(method, echo_url(), R"({"k":"v"})", {{"Content-Type", "application/json"}}));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body.reveal_text(), method + R"(:{"k":"v"})");
    const std::scoped_lock lock(m_seen.mutex);
    EXPECT_EQ(m_seen.method, method);
    EXPECT_EQ(header_of(m_seen.headers, "Content-Type"), "application/json");
  }
  auto empty_put = m_transport->send(request("PUT", echo_url()));
  ASSERT_TRUE(empty_put) << empty_put.error().message;
  EXPECT_EQ(empty_put->body.reveal_text(), "PUT:");
}

TEST_F(CurlTransportTest, HeadReturnsHeadersWithoutABody) {
  auto response = m_transport->send(request("HEAD", echo_url()));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(response->header("x-echo-method"), "HEAD");
}

TEST_F(CurlTransportTest, NoContentHasAnEmptyBody) {
  auto response = m_transport->send(request("GET", url(m_server.port(), "/status/204")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 204);
  EXPECT_TRUE(response->body.empty());
}

TEST_F(CurlTransportTest, ErrorStatusesAndRedirectsAreResponses) {
  for (const int status : {400, 403, 404, 429, 500, 503}) {
    auto response = m_transport->send(request("GET", url(m_server.port(), fmt::format("/status/{}", status))));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->body.reveal_text(), "status body");
  }
  auto redirect = m_transport->send(request("GET", url(m_server.port(), "/redirect")));
  ASSERT_TRUE(redirect) << redirect.error().message;
  EXPECT_EQ(redirect->status, 307);  // not followed: Vault's redirects are for the caller to see
  EXPECT_EQ(redirect->header("location"), "/echo");
}

TEST_F(CurlTransportTest, ProxiesFromTheEnvironmentAreIgnored) {
  const int dead_proxy = closed_port();  // a request sent through it would fail
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    ::setenv(name, fmt::format("http://127.0.0.1:{}", dead_proxy).c_str(), 1);
  }
  auto response = m_transport->send(request("GET", echo_url()));
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) ::unsetenv(name);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(CurlTransportTest, LargeBodiesTravelWholeInBothDirections) {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  auto response = m_transport->send(request("POST", echo_url(), big));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body.reveal_text(), "POST:" + big);
  const std::scoped_lock lock(m_seen.mutex);
  EXPECT_FALSE(m_seen.headers.contains("Expect"));
}

TEST_F(CurlTransportTest, ConcurrentSendsOnOneTransport) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        const std::string body = fmt::format("thread {} request {}", t, i);
        auto response = m_transport->send(request("PUT", echo_url(), body));
        if (response && response->body.reveal_text() == "PUT:" + body) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 60);
}

TEST(CurlTransport, CustomVerbsAndBodiesAreSentAsGiven) {
  RawServer server(RawServer::Mode::respond,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Vault-Index: 7\r\n"
                   "Content-Length: 15\r\nConnection: close\r\n\r\n{\"keys\":[\"a\"]}\n");
  auto response =
      transport()->send(request("LIST", url(server.port(), "/v1/secret/metadata/ipfs"), "{}",
                                {{"X-Vault-Token", "t"}, {"Content-Type", "application/json"}, {"X-Empty", ""}}));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.reveal_text(), "{\"keys\":[\"a\"]}\n");
  EXPECT_EQ(response->header("X-Vault-Index"), "7");
  const std::string seen = server.last_request();
  EXPECT_TRUE(seen.starts_with("LIST /v1/secret/metadata/ipfs HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("X-Vault-Token: t\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Empty:\r\n"), std::string::npos) << seen;  // an empty value is still sent
  EXPECT_TRUE(seen.ends_with("\r\n\r\n{}")) << seen;

  RawServer bodiless(RawServer::Mode::respond, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  auto not_found = transport()->send(request("LIST", url(bodiless.port(), "/v1/kv")));
  ASSERT_TRUE(not_found) << not_found.error().message;
  EXPECT_EQ(not_found->status, 404);
  EXPECT_TRUE(bodiless.last_request().starts_with("LIST /v1/kv HTTP/1.1\r\n"));

  RawServer get_server(RawServer::Mode::respond, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  auto get_with_body = transport()->send(request("GET", url(get_server.port(), "/q"), "{}"));
  ASSERT_TRUE(get_with_body) << get_with_body.error().message;
  EXPECT_TRUE(get_server.last_request().starts_with("GET /q HTTP/1.1\r\n")) << get_server.last_request();
  EXPECT_TRUE(get_server.last_request().ends_with("\r\n\r\n{}")) << get_server.last_request();
}

TEST(CurlTransport, ClosedPortIsUnavailableAndNamesTheUrlWithoutItsQuery) {
  const int port = closed_port();
  auto response = transport()->send(request("GET", url(port, "/v1/sys/health?standbyok=true")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(response.error().message.starts_with(fmt::format("GET http://127.0.0.1:{}/v1/sys/health: ", port)))
      << response.error().message;
  EXPECT_NE(response.error().message.find("(curl code 7)"), std::string::npos) << response.error().message;
}

TEST(CurlTransport, ServerSlowerThanTheTotalTimeoutIsATimeout) {
  RawServer server(RawServer::Mode::never_answer);
  auto slow = request("GET", url(server.port(), "/slow"));
  slow.total_timeout = 300ms;
  auto response = transport()->send(slow);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::timeout) << response.error().message;
}

TEST(CurlTransport, HangingUpOrTruncatingTheReplyIsUnavailable) {
  RawServer hang_up(RawServer::Mode::hang_up);
  auto nothing = transport()->send(request("GET", url(hang_up.port(), "/")));
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, ErrorCode::unavailable) << nothing.error().message;

  RawServer truncating(RawServer::Mode::respond, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  auto partial = transport()->send(request("GET", url(truncating.port(), "/")));
  ASSERT_FALSE(partial);
  EXPECT_EQ(partial.error().code, ErrorCode::unavailable) << partial.error().message;
}

TEST(CurlTransport, MalformedRequestsAreInvalidInput) {
  const auto t = transport();
  auto injected =
      t->send(request("GET", "http://127.0.0.1:1/", {}, {{"X-Token", std::string(k_token) + "\r\nX-Evil: 1", true}}));
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(injected.error().message.find(k_token), std::string::npos) << injected.error().message;

  auto bad_method = t->send(request("GET /x HTTP/1.1\r\n", "http://127.0.0.1:1/"));
  ASSERT_FALSE(bad_method);
  EXPECT_EQ(bad_method.error().code, ErrorCode::invalid_input);

  for (const char* other : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"}) {
    auto response = t->send(request("GET", other));
    ASSERT_FALSE(response) << other;
    EXPECT_EQ(response.error().code, ErrorCode::invalid_input) << response.error().message;
  }
}

TEST_F(CurlTransportTest, NeverLogsOrReportsTokensBodiesOrQueries) {
  LogCapture logs;
  const std::vector<HttpHeader> headers{{"X-Vault-Token", k_token, true},
                                        {"Authorization", std::string("Bearer ") + k_token, true}};
  const auto query = std::string("?wrap=") + k_query;
  std::vector<std::string> messages;

  auto ok = m_transport->send(request("POST", echo_url() + query, k_body, headers));
  ASSERT_TRUE(ok) << ok.error().message;

  auto refused = m_transport->send(request("POST", url(closed_port(), "/v1/x") + query, k_body, headers));
  ASSERT_FALSE(refused);
  messages.push_back(refused.error().message);

  RawServer slow_server(RawServer::Mode::never_answer);
  auto slow = request("PUT", url(slow_server.port(), "/v1/x") + query, k_body, headers);
  slow.total_timeout = 200ms;
  auto timed_out = m_transport->send(slow);
  ASSERT_FALSE(timed_out);
  messages.push_back(timed_out.error().message);

  const std::string logged = logs.text();
  EXPECT_NE(logged.find(fmt::format("POST {}", echo_url())), std::string::npos) << logged;
  for (const auto& text : {logged, messages[0], messages[1]}) {
    for (const char* secret : {k_token, k_body, k_query}) EXPECT_EQ(text.find(secret), std::string::npos) << text;
  }
}

// --- TLS -------------------------------------------------------------------------------------

class CurlTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);
    s_pki = std::make_unique<curl_test::TestPki>();
  }
  static void TearDownTestSuite() { s_pki.reset(); }

  static std::string file(const std::string& name) { return s_pki->file(name); }

  // An HTTPS server answering GET /hello with "hello" (and recording the Host header).
  static HttplibServer https_server(const std::string& cert, const std::string& key, const char* client_ca = nullptr,
                                    Seen* seen = nullptr) {
    auto server = std::make_unique<httplib::SSLServer>(file(cert).c_str(), file(key).c_str(), client_ca);
    if (!server->is_valid()) throw std::runtime_error("httplib: invalid TLS server setup");
    server->Get("/hello", [seen](const httplib::Request& req, httplib::Response& res) {
      if (seen != nullptr) {
        const std::scoped_lock lock(seen->mutex);
        seen->host = req.get_header_value("Host");
      }
      res.set_content("hello", "text/plain");
    });
    return HttplibServer(std::move(server));
  }

  static inline std::unique_ptr<curl_test::TestPki> s_pki;
};

void expect_certificate_rejected(const Result<HttpResponse>& response) {
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_NE(response.error().message.find("certificate not trusted"), std::string::npos) << response.error().message;
}

TEST_F(CurlTlsTest, TrustedCaIsAccepted) {
  const auto server = https_server("server.pem", "server-key.pem");
  auto response = transport(trusting(file("ca.pem")))->send(request("GET", url(server.port(), "/hello", "https")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body.reveal_text(), "hello");
}

TEST_F(CurlTlsTest, UntrustedCertificatesAreRejectedWithACertificateMessage) {
  const auto server = https_server("server.pem", "server-key.pem");
  const auto hello = url(server.port(), "/hello", "https");
  expect_certificate_rejected(transport()->send(request("GET", hello)));  // system store only
  expect_certificate_rejected(transport(trusting(file("other-ca.pem")))->send(request("GET", hello)));
}

TEST_F(CurlTlsTest, InsecureSkipVerifyConnectsAndWarns) {
  const auto server = https_server("server.pem", "server-key.pem");
  LogCapture logs;
  ports::TlsOptions insecure;
  insecure.insecure_skip_verify = true;
  auto t = transport(insecure);
  EXPECT_NE(logs.text().find("verification is disabled"), std::string::npos) << logs.text();
  auto response = t->send(request("GET", url(server.port(), "/hello", "https")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(CurlTlsTest, MutualTlsNeedsTheClientCertificate) {
  const auto server = https_server("server.pem", "server-key.pem", file("ca.pem").c_str());
  const auto hello = url(server.port(), "/hello", "https");
  auto without = transport(trusting(file("ca.pem")))->send(request("GET", hello));
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().code, ErrorCode::unavailable) << without.error().message;

  auto tls = trusting(file("ca.pem"));
  tls.client_cert_file = file("client.pem");
  tls.client_key_file = file("client-key.pem");
  auto with = transport(tls)->send(request("GET", hello));
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->body.reveal_text(), "hello");
}

// TLS material inline as PEM (kubeconfig *-data fields, exec plugins): a PEM wins over the file of
// the same role, which is then neither read nor checked.
TEST_F(CurlTlsTest, CaAsPemBlobIsTrustedAndWinsOverTheCaFile) {
  const auto server = https_server("server.pem", "server-key.pem");
  const auto hello = url(server.port(), "/hello", "https");
  ports::TlsOptions tls;
  tls.ca_pem = testing::read_file(file("ca.pem"));
  tls.ca_file = file("other-ca.pem");
  auto response = transport(tls)->send(request("GET", hello));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body.reveal_text(), "hello");

  tls.ca_file = "/nonexistent/ca.pem";  // not checked: the PEM is used
  ASSERT_TRUE(make_curl_transport(tls));

  ports::TlsOptions other;
  other.ca_pem = testing::read_file(file("other-ca.pem"));
  other.ca_file = file("ca.pem");
  expect_certificate_rejected(transport(other)->send(request("GET", hello)));
}

TEST_F(CurlTlsTest, MutualTlsWithCertificateAndKeyAsPemBlobs) {
  const auto server = https_server("server.pem", "server-key.pem", file("ca.pem").c_str());
  const auto hello = url(server.port(), "/hello", "https");
  ports::TlsOptions tls;
  tls.ca_pem = testing::read_file(file("ca.pem"));
  tls.client_cert_pem = testing::read_file(file("client.pem"));
  tls.client_key_pem = std::make_shared<const Secret>(Secret::from_text(testing::read_file(file("client-key.pem"))));
  tls.client_cert_file = file("server.pem");  // the wrong pair: the blobs win
  tls.client_key_file = "/nonexistent/key.pem";
  auto t = transport(tls);
  for (int i = 0; i < 2; ++i) {  // the second request reuses the handle (and its connection)
    auto with = t->send(request("GET", hello));
    ASSERT_TRUE(with) << with.error().message;
    EXPECT_EQ(with->body.reveal_text(), "hello");
  }

  auto key_only = tls;
  key_only.client_cert_pem.clear();
  key_only.client_cert_file.clear();
  auto made = make_curl_transport(key_only);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(made.error().message.find("PRIVATE KEY"), std::string::npos) << made.error().message;

  auto garbage = tls;  // an unusable key is a configuration error that shows no key material
  garbage.client_key_pem = std::make_shared<const Secret>(Secret::from_text("-----BEGIN PRIVATE KEY-----\nk3y\n"));
  auto failed = transport(garbage)->send(request("GET", hello));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message.find("k3y"), std::string::npos) << failed.error().message;
}

TEST_F(CurlTlsTest, ServerNameIsTheNameVerifiedAndHostStaysTheUrls) {
  Seen seen;
  const auto server = https_server("named.pem", "named-key.pem", nullptr, &seen);
  const auto hello = url(server.port(), "/hello", "https");
  expect_certificate_rejected(transport(trusting(file("ca.pem")))->send(request("GET", hello)));
  auto tls = trusting(file("ca.pem"));
  tls.server_name = "other.internal";
  expect_certificate_rejected(transport(tls)->send(request("GET", hello)));

  tls.server_name = curl_test::TestPki::k_other_name;
  auto named = transport(tls);
  auto response = named->send(request("GET", hello));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body.reveal_text(), "hello");
  const std::scoped_lock lock(seen.mutex);
  EXPECT_EQ(seen.host, fmt::format("127.0.0.1:{}", server.port()));  // not vault.internal
}

// --- configuration ---------------------------------------------------------------------------

TEST(CurlTransportConfig, UnreadableTlsFilesAreInvalidConfigNamingTheFile) {
  testing::TempDir dir;
  const auto missing = (dir / "missing.pem").string();
  testing::write_file(dir / "c.pem", "x");
  std::vector<ports::TlsOptions> cases(4);
  cases[0].ca_file = missing;
  cases[1].client_cert_file = missing;
  cases[2].client_cert_file = dir.path().string();  // not a regular file
  cases[3].client_cert_file = (dir / "c.pem").string();
  cases[3].client_key_file = missing;
  for (const auto& tls : cases) {
    auto made = make_curl_transport(tls);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code, ErrorCode::invalid_config);
    EXPECT_TRUE(made.error().message.find(missing) != std::string::npos ||
                made.error().message.find(dir.path().string() + ":") != std::string::npos)
        << made.error().message;
  }
}

TEST(CurlTransportConfig, KeyWithoutCertificateOrABadServerNameIsInvalidConfig) {
  testing::TempDir dir;
  testing::write_file(dir / "k.pem", "x");
  ports::TlsOptions key_only_tls;
  key_only_tls.client_key_file = (dir / "k.pem").string();
  auto key_only = make_curl_transport(key_only_tls);
  ASSERT_FALSE(key_only);
  EXPECT_EQ(key_only.error().code, ErrorCode::invalid_config);
  for (const char* name : {"vault.internal:8200", "a/b", "x y"}) {
    ports::TlsOptions tls;
    tls.server_name = name;
    auto made = make_curl_transport(tls);
    ASSERT_FALSE(made) << name;
    EXPECT_EQ(made.error().code, ErrorCode::invalid_config);
  }
}

}  // namespace
}  // namespace keyd::adapters
