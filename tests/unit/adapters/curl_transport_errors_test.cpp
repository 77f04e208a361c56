// The curl transport's failures: refused connections, timeouts, hang-ups, malformed requests, no
// secret in any error or log line, and configuration errors.
#include "curl_test_fixture.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keyd::adapters::curl_test {
namespace {

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
}  // namespace keyd::adapters::curl_test
