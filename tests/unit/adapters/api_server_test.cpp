// The daemon's HTTP server adapter on 127.0.0.1 (port chosen at run time): bearer-token
// authentication from a tokens file, limits (body, header size, timeouts), JSON error bodies for
// malformed requests, TLS, and the server living on after garbage.
#include "keyd/adapters/http/http_server.hpp"

#include "curl_test_pki.hpp"
#include "curl_test_servers.hpp"
#include "support/http_test_client.hpp"
#include "support/test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <atomic>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;


// Answers with what the server handed over.
class EchoHandler final : public ports::ApiHandler {
 public:
  ports::ApiResponse handle(const ports::ApiRequest& r) override {
    ++calls;
    const char* kinds[] = {"none", "ok", "rejected", "unavailable"};
    json body{{"method", r.method},
              {"path", r.path},
              {"auth", kinds[static_cast<int>(r.auth.kind)]},
              {"caller", r.auth.caller ? r.auth.caller->name : ""},
              {"body_size", r.body.size()}};
    return {r.path == "/missing" ? 404 : 200, "application/json", body.dump()};
  }
  std::atomic<int> calls{0};
};

class DownAuthenticator final : public ports::Authenticator {
 public:
  Result<std::optional<ports::Caller>> authenticate(std::string_view) override {
    return fail(ErrorCode::unavailable, "tokenreviews: 503");
  }
};

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(dir / "tokens", "# ci and ops\n" + testing::sha256_hex("good-token") + " ci-bot\n\n" +
                                            testing::sha256_hex("other-token") + "   ops team  \n");
    ::chmod((dir / "tokens").c_str(), 0600);
  }

  void start(HttpServerOptions options = {}, bool with_down = false) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto tokens = make_tokens_file_authenticator((dir / "tokens").string());
    ASSERT_TRUE(tokens) << tokens.error().message;
    std::vector<std::shared_ptr<ports::Authenticator>> auths{*tokens};
    if (with_down) auths.push_back(std::make_shared<DownAuthenticator>());
    auto started = start_http_server(options, handler, auths);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }

  json get(const std::string& path, const std::string& authorization = {}) {
    httplib::Client client("127.0.0.1", server->port());
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto res = client.Get(path.c_str(), headers);
    EXPECT_TRUE(res);
    if (!res) return nullptr;
    EXPECT_EQ(res->status, path == "/missing" ? 404 : 200);
    return json::parse(res->body);
  }

  testing::TempDir dir;
  EchoHandler handler;
  std::unique_ptr<HttpServer> server;
};

TEST_F(ApiServerTest, BearerTokensFromTheFileAuthenticate) {
  start();
  EXPECT_EQ(get("/v1/swarms")["auth"], "none");
  const json good = get("/v1/swarms", "Bearer good-token");
  EXPECT_EQ(good["auth"], "ok");
  EXPECT_EQ(good["caller"], "token:ci-bot");
  EXPECT_EQ(get("/v1/swarms", "bearer other-token")["caller"], "token:ops team");
  EXPECT_EQ(get("/v1/swarms", "Bearer wrong-token")["auth"], "rejected");
  EXPECT_EQ(get("/v1/swarms", "Bearer good-token2")["auth"], "rejected");
  EXPECT_EQ(get("/v1/swarms", "Basic Z29vZC10b2tlbg==")["auth"], "rejected");
  EXPECT_EQ(get("/v1/swarms", "Bearer ")["auth"], "rejected");
  EXPECT_EQ(get("/v1/swarms", "Bearer " + testing::sha256_hex("good-token"))["auth"], "rejected") << "the hash is no token";
}

TEST_F(ApiServerTest, AnAuthenticatorThatCannotAnswerMakesUnknownTokensUnavailable) {
  start({}, true);
  EXPECT_EQ(get("/x", "Bearer good-token")["auth"], "ok");  // the file knows it: no need to ask
  EXPECT_EQ(get("/x", "Bearer some-sa-token")["auth"], "unavailable");
}

TEST_F(ApiServerTest, HandlerStatusAndJsonPassThrough) {
  start();
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/missing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto posted = client.Post("/v1/swarms/a/rotate", "", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(json::parse(posted->body)["method"], "POST");
}

TEST_F(ApiServerTest, OversizedBodiesAreRefusedBeforeTheHandler) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  httplib::Client client("127.0.0.1", server->port());
  // Only an authenticated caller's body is read at all (api_server_bodies_test.cpp).
  client.set_bearer_token_auth("good-token");
  auto ok = client.Post("/v1/swarms/a/sync", std::string(1024, 'x'), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(json::parse(ok->body)["body_size"], 1024);
  const int before = handler.calls;
  auto big = client.Post("/v1/swarms/a/sync", std::string(1025, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(json::parse(big->body)["error"]["code"], "payload_too_large");
  EXPECT_EQ(handler.calls, before);
}

TEST_F(ApiServerTest, MalformedRequestsGet4xxAndTheServerLivesOn) {
  start();
  // The server answers 4xx (505 to an HTTP version other than 1.x) and closes. When it closes
  // with bytes of ours unread, the kernel may send a reset that overtakes the answer, so an empty
  // answer is accepted too. Either way the handler is never called and the server keeps serving.
  struct Case {
    std::string bytes;
    const char* why;
    bool answers_400;
  };
  const std::vector<Case> cases{
      {std::string("\x00\x01\x02garbage\r\n\r\n", 14), "binary garbage", false},
      {"GET\r\n\r\n", "no path, no version", true},
      {"GET / HTTP/9.9\r\nHost: x\r\n\r\n", "unknown HTTP version", true},
      {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n", "a 64 KiB header",
       true},
      {"GET /" + std::string(16 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", "a 16 KiB URI", false},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "negative length", false},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", "absurd length", false},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk", true},
  };
  int answered = 0;
  for (const Case& c : cases) {
    const std::string answer = testing::raw_exchange(server->port(), c.bytes, /*half_close=*/true);
    const int status = testing::status_of(answer);
    // Either a 4xx (or 505), or a closed connection without an answer.
    EXPECT_TRUE(answer.empty() || (status >= 400 && status < 500) || status == 505)
        << c.why << ": " << answer.substr(0, 200);
    if (c.answers_400) answered += status == 400 ? 1 : 0;
    if (status >= 400) {
      const auto body_at = answer.find("\r\n\r\n");
      ASSERT_NE(body_at, std::string::npos);
      // httplib may reset the connection right after the headers when it refuses to read on (the
      // unread request bytes are still queued): judge the body only when all of it arrived.
      const auto length_at = answer.find("Content-Length: ");
      const std::size_t length =
          length_at < body_at ? std::stoul(answer.substr(length_at + 16)) : answer.size() - body_at - 4;
      if (answer.size() - body_at - 4 >= length) {
        EXPECT_TRUE(json::accept(answer.substr(body_at + 4, length))) << c.why << ": " << answer;
      }
    }
    EXPECT_EQ(get("/after")["path"], "/after") << "server dead after " << c.why;
  }
  EXPECT_EQ(handler.calls, static_cast<int>(cases.size())) << "only the /after requests reached the handler";
  RecordProperty("answered_400", answered);
}

TEST_F(ApiServerTest, ASilentClientIsCutOffAtTheReadTimeout) {
  HttpServerOptions options;
  options.timeout = 1s;
  start(options);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const std::string partial = "GET /slow HTTP/1.1\r\nHost: x\r\n";  // and then nothing
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
  const auto begin = std::chrono::steady_clock::now();
  char buf[512];
  while (::recv(fd, buf, sizeof(buf), 0) > 0) {
  }
  const auto waited = std::chrono::steady_clock::now() - begin;
  ::close(fd);
  EXPECT_GE(waited, 900ms) << "closed before the timeout";
  EXPECT_LT(waited, 3s) << "a silent client holds a worker";
  EXPECT_EQ(handler.calls, 0);
}

TEST_F(ApiServerTest, ServesHttpsWithTheConfiguredCertificate) {
  using namespace curl_test;
  const Issued ca = issue_ca("keyd api test CA");
  const Issued leaf = issue_leaf("127.0.0.1", ca, "serverAuth", "IP:127.0.0.1");
  write_pem(ca, dir / "ca.pem");
  write_pem(leaf, dir / "tls.crt", dir / "tls.key");
  HttpServerOptions options;
  options.cert_file = (dir / "tls.crt").string();
  options.key_file = (dir / "tls.key").string();
  start(options);
  httplib::SSLClient client("127.0.0.1", server->port());
  client.set_ca_cert_path((dir / "ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/v1/swarms", {{"Authorization", "Bearer good-token"}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(json::parse(res->body)["caller"], "token:ci-bot");
}

TEST_F(ApiServerTest, ABadCertificateOrABusyPortIsAnError) {
  HttpServerOptions options;
  options.cert_file = (dir / "missing.crt").string();
  options.key_file = (dir / "missing.key").string();
  auto bad = start_http_server(options, handler, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("missing.crt"), std::string::npos);

  start();
  HttpServerOptions same;
  same.port = server->port();
  auto busy = start_http_server(same, handler, {});
  ASSERT_FALSE(busy);
  EXPECT_NE(busy.error().message.find("127.0.0.1:" + std::to_string(server->port())), std::string::npos);
}

TEST(TokensFile, RejectsMalformedLinesNamingTheLineButNotItsContent) {
  testing::TempDir dir;
  const auto path = (dir / "tokens").string();
  for (const std::string& content :
       {std::string("not-a-hash ci\n"), testing::sha256_hex("x") + "\n", testing::sha256_hex("x").substr(0, 63) + "g ci\n"}) {
    testing::write_file(path, "# header\n" + content);
    ::chmod(path.c_str(), 0600);
    auto a = make_tokens_file_authenticator(path);
    ASSERT_FALSE(a) << content;
    EXPECT_EQ(a.error().code, ErrorCode::invalid_config);
    EXPECT_NE(a.error().message.find(path + ":2:"), std::string::npos) << a.error().message;
    EXPECT_EQ(a.error().message.find("not-a-hash"), std::string::npos);
  }
  testing::write_file(path, testing::sha256_hex("x") + " ci\n");
  ::chmod(path.c_str(), 0644);
  auto world = make_tokens_file_authenticator(path);
  ASSERT_FALSE(world);
  EXPECT_NE(world.error().message.find("readable by everyone"), std::string::npos);
  EXPECT_FALSE(make_tokens_file_authenticator((dir / "none").string()));
}

TEST(ListenAddress, ParsesHostAndPort) {
  EXPECT_EQ(*parse_listen_address("127.0.0.1:8750"), (std::pair<std::string, int>{"127.0.0.1", 8750}));
  EXPECT_EQ(*parse_listen_address("[::1]:0"), (std::pair<std::string, int>{"::1", 0}));
  EXPECT_EQ(*parse_listen_address("0.0.0.0:65535"), (std::pair<std::string, int>{"0.0.0.0", 65535}));
  for (const char* bad : {"", "8750", ":8750", "host:", "host:x", "host:70000", "::1:80", "[]:80", "[::1]80"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

}  // namespace
}  // namespace keyd::adapters
