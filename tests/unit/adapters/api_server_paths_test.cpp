// The HTTP server adapter refuses before routing or authenticating (issue 15 item 8): a
// non-canonical path is 404 without reaching the handler or an authenticator, and a bearer token
// with a control character is 401 without reaching an authenticator. Also: a token that cannot be
// checked now is 503 with Retry-After (issue 15 item 6).
#include "keyd/adapters/http/http_server.hpp"

#include "support/http_test_client.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

namespace keyd::adapters {
namespace {

class CountingHandler final : public ports::ApiHandler {
 public:
  ports::ApiResponse handle(const ports::ApiRequest& r) override {
    ++calls;
    if (r.auth.kind == ports::Authentication::Kind::unavailable) return {503, "application/json", "{}"};
    if (r.auth.kind != ports::Authentication::Kind::ok) return {401, "application/json", "{}"};
    return {200, "application/json", "{\"path\":\"" + r.path + "\"}"};
  }
  std::atomic<int> calls{0};
};

// Accepts "good"; counts lookups. `down`: cannot answer.
class CountingAuthenticator final : public ports::Authenticator {
 public:
  Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    ++lookups;
    if (down) return fail(ErrorCode::unavailable, "too many new bearer tokens to review; retry later");
    if (token == "good") return std::optional<ports::Caller>{ports::Caller{"token:good", false}};
    return std::optional<ports::Caller>{};
  }
  std::atomic<int> lookups{0};
  std::atomic<bool> down{false};
};



class ApiServerPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    auto server = start_http_server(options, handler, {auth});
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
  }
  void TearDown() override {
    if (m_server) m_server->stop();
  }
  std::string get(const std::string& target, const std::string& token) {
    return testing::raw_exchange(m_server->port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                              "Authorization: Bearer " + token + "\r\n\r\n");
  }

  CountingHandler handler;
  std::shared_ptr<CountingAuthenticator> auth = std::make_shared<CountingAuthenticator>();
  std::unique_ptr<HttpServer> m_server;
};

TEST_F(ApiServerPathsTest, NonCanonicalPathsAre404BeforeTheHandlerAndAnyLookup) {
  ASSERT_EQ(testing::status_of(get("/v1/swarms/s1/key", "good")), 200);
  ASSERT_EQ(testing::status_of(get("/", "good")), 200);
  ASSERT_EQ(handler.calls, 2);
  ASSERT_EQ(auth->lookups, 2);
  for (const std::string path : {"/v1/swarms/s1%2Fkey", "//v1/swarms/s1/key", "/v1/swarms/s1/key/", "/v1//swarms",
                                 "/v1/./swarms", "/v1/swarms/..", "/v1/swarms/s%31", "/v1/swarms/s1/key%20",
                                 "/v1/swarms/s1:key"}) {
    const std::string answer = get(path, "good");
    EXPECT_EQ(testing::status_of(answer), 404) << path << ": " << answer;
    EXPECT_NE(answer.find("\"not_found\""), std::string::npos) << path << ": " << answer;
  }
  EXPECT_EQ(handler.calls, 2) << "a non-canonical path reached the handler";
  EXPECT_EQ(auth->lookups, 2) << "a non-canonical path cost a token lookup";
}

TEST_F(ApiServerPathsTest, TokensWithControlCharactersAre401WithoutALookup) {
  for (const std::string& token : {std::string("good\0", 5), std::string("good\0evil", 9), std::string("go\x01od"),
                                  std::string("good\x7f"), std::string("go\tod")}) {
    const std::string answer = get("/v1/swarms", token);
    EXPECT_EQ(testing::status_of(answer), 401) << answer;
  }
  EXPECT_EQ(auth->lookups, 0) << "a token with control characters was looked up";
  const std::string twice = testing::raw_exchange(m_server->port(),
                                         "GET /v1/swarms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                         "Authorization: Bearer good\r\nAuthorization: Bearer other\r\n\r\n");
  EXPECT_EQ(testing::status_of(twice), 401) << twice;
  EXPECT_EQ(auth->lookups, 0) << "one of two Authorization headers was looked up";
}

TEST_F(ApiServerPathsTest, ATokenThatCannotBeCheckedNowIs503WithRetryAfter) {
  auth->down = true;
  const std::string answer = get("/v1/swarms", "new-token");
  EXPECT_EQ(testing::status_of(answer), 503) << answer;
  EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer;
}

}  // namespace
}  // namespace keyd::adapters
