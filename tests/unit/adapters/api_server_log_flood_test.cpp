// A flood of bad tokens must not flood the daemon's log: the abuse suite saw one log line per
// rejected token (1.1–1.6 MB per 3 s flood of random tokens). At most 10 such lines a second are
// written; the ones dropped are counted in the next line let through.
#include "http/log_throttle.hpp"
#include "keyd/adapters/http/http_server.hpp"
#include "support/httplib_system.hpp"

#include "support/http_test_client.hpp"
#include "support/log_capture.hpp"
#include "support/test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <thread>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;

class NullHandler final : public ports::ApiHandler {
 public:
  ports::ApiResponse handle(const ports::ApiRequest& r) override {
    return {r.auth.kind == ports::Authentication::Kind::ok ? 200 : 401, "application/json", "{}"};
  }
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(LogThrottle, LetsTheFirstLinesOfAnIntervalThroughAndCountsTheRest) {
  http::LogThrottle throttle(3, 1s);
  const auto t0 = http::LogThrottle::Clock::time_point{} + 10s;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(throttle.admit(t0 + std::chrono::milliseconds{i}), 0U) << i;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.admit(t0 + 100ms)) << i;
  const auto next = throttle.admit(t0 + 1s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 5U) << "the first line of the next interval says how many were dropped";
  EXPECT_EQ(throttle.admit(t0 + 1s), 0U);
}

// The API server on 127.0.0.1 with a tokens file that knows one token, its log captured.
class ApiServerLogFlood : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_tokens_file(dir / "tokens", {{"good-token", "ci"}});
    auto tokens = make_tokens_file_authenticator((dir / "tokens").string());
    ASSERT_TRUE(tokens) << tokens.error().message;
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    auto started = start_http_server(options, handler, {*tokens});
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }

  testing::LogCapture log;  // first: the server (and its threads) are gone before the capture is
  testing::TempDir dir;
  NullHandler handler;
  std::unique_ptr<HttpServer> server;
};

TEST_F(ApiServerLogFlood, RejectedTokensLogAFewLinesASecondAndSayHowManyWereDropped) {
  const std::size_t before = log.text().size();
  httplib::Client client("127.0.0.1", server->port());
  constexpr int k_requests = 300;
  for (int i = 0; i < k_requests; ++i) {
    auto res = client.Get("/v1/swarms", {{"Authorization", fmt::format("Bearer random-token-{}", i)}});
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 401);
  }
  const std::string flood = log.text().substr(before);
  EXPECT_LT(count_of(flood, "token rejected"), 40U) << "one line per rejected token is a log flood";
  EXPECT_GE(count_of(flood, "token rejected"), 1U);

  std::this_thread::sleep_for(1100ms);
  auto res = client.Get("/v1/swarms", {{"Authorization", "Bearer one-more"}});
  ASSERT_TRUE(res);
  const std::string after = log.text().substr(before + flood.size());
  EXPECT_TRUE(std::regex_search(after, std::regex(R"(token rejected \(unknown token\); \d+ similar lines dropped)")))
      << after;
  // Every rejected request is either logged or counted in a later line.
  std::size_t dropped = 0;
  const std::string all = log.text().substr(before);
  const std::regex counted(R"((\d+) similar lines dropped)");
  for (auto it = std::sregex_iterator(all.begin(), all.end(), counted); it != std::sregex_iterator(); ++it) {
    dropped += std::stoul((*it)[1]);
  }
  EXPECT_EQ(count_of(flood, "token rejected") + dropped, static_cast<std::size_t>(k_requests));
  EXPECT_EQ(after.find("random-token"), std::string::npos);
}

// The method is the caller's text: the "token rejected" line quoted it as sent (fuzz finding 16
// found the daemon's 405 answer doing the same). A method holding a key-shaped run is redacted in
// the log; built at run time so the source holds no key-shaped line.
TEST_F(ApiServerLogFlood, TheRejectedTokenLineRedactsAKeyShapedMethod) {
  const std::string run = std::string(31, 'B') + "C" + std::string(32, 'B');
  const std::string reply = testing::raw_exchange(
      server->port(), "X" + run + " /v1/swarms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n", true);
  EXPECT_NE(reply.find(" 401 "), std::string::npos) << reply;
  server.reset();
  EXPECT_NE(log.text().find("token rejected"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find(run.substr(0, 16)), std::string::npos) << log.text();
}

}  // namespace
}  // namespace keyd::adapters
