// The curl transport against in-process servers: verbs, headers, bodies, proxies, concurrency.
#include "curl_test_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace keyd::adapters::curl_test {
namespace {

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

}  // namespace
}  // namespace keyd::adapters::curl_test
