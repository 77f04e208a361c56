// The curl transport over TLS: trusted and untrusted CAs, insecure mode, mutual TLS, PEM blobs and
// server_name.
#include "curl_test_fixture.hpp"
#include "curl_test_pki.hpp"

#include <csignal>
#include <memory>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

namespace keyd::adapters::curl_test {
namespace {

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

}  // namespace
}  // namespace keyd::adapters::curl_test
