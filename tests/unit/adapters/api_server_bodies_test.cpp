// The HTTP server and request bodies (issue 15 items 2 and 4): a body is read only after its
// sender is authenticated (an unauthenticated 200 MB chunked upload costs no memory), a chunked
// body stops at the limit, and a POST without a body is answered at once.
#include "api_server_abuse_helpers.hpp"

#include <thread>
#include <vector>

namespace keyd::adapters::abuse {
namespace {

class ApiServerBodies : public AbuseServerTest {};

// Sends a chunked upload of `total` bytes (64 KiB chunks) without blocking, and stops as soon as
// the server answers. Returns the answer (empty if none within 3 s of the server going quiet).
std::string chunked_upload(int port, std::size_t total, const std::string& authorization) {
  static const std::string chunk = [] {
    std::string c(64 * 1024, 'x');
    return "10000\r\n" + c + "\r\n";
  }();
  RawClient client(port);
  if (!client.send("POST /v1/swarms/s1/sync HTTP/1.1\r\nHost: x\r\n" + authorization +
                   "Transfer-Encoding: chunked\r\n\r\n")) {
    return {};
  }
  std::size_t sent = 0;
  std::size_t offset = 0;  // within the current chunk
  while (sent < total) {
    pollfd p{client.fd(), POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 3000) <= 0) return {};
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) return client.receive(3s, "}\n");
    const auto n = ::send(client.fd(), chunk.data() + offset, chunk.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) return client.receive(3s, "}\n");
    offset += static_cast<std::size_t>(n);
    if (offset == chunk.size()) {
      offset = 0;
      sent += 64 * 1024;
    }
  }
  client.send("0\r\n\r\n");
  return client.receive(10s, "}\n");
}

TEST_F(ApiServerBodies, UnauthenticatedChunkedUploadsAreRefusedBeforeTheirBodyIsRead) {
  start();
  const std::size_t before = rss_bytes();
  std::atomic<std::size_t> peak{before};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak.load(), rss_bytes());
      std::this_thread::sleep_for(5ms);
    }
  });
  constexpr std::size_t k_upload = 200u * 1024 * 1024;
  std::vector<std::string> answers(5);
  std::vector<std::thread> uploads;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    uploads.emplace_back([&, i] {
      answers[i] = chunked_upload(server->port(), k_upload, i == 0 ? "Authorization: Bearer wrong\r\n" : "");
    });
  }
  for (auto& t : uploads) t.join();
  done = true;
  sampler.join();
  for (const std::string& answer : answers) {
    EXPECT_EQ(status_of(answer), 401) << answer.substr(0, 200);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos);
    EXPECT_NE(answer.find("WWW-Authenticate: Bearer"), std::string::npos);
  }
  EXPECT_EQ(handler.calls, 0);
  const std::size_t growth = peak - before;
  EXPECT_LT(growth, 16u * 1024 * 1024) << "RSS grew by " << growth / 1024 << " KiB";
  RecordProperty("rss_growth_kib", std::to_string(growth / 1024));
}

TEST_F(ApiServerBodies, AnAuthenticatedChunkedBodyStopsAtTheLimit) {
  HttpServerOptions options;
  options.max_body_bytes = 64 * 1024;
  start(options);
  const std::string answer = chunked_upload(server->port(), 8u * 1024 * 1024, "Authorization: Bearer good\r\n");
  EXPECT_EQ(status_of(answer), 413) << answer.substr(0, 200);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_NE(answer.find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handler.calls, 0);

  RawClient small(server->port());  // under the limit: read and handed over
  small.send("POST /v1/swarms/s1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n"
             "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: y\r\n\r\n");
  const std::string ok = small.receive(3s, "}");
  EXPECT_EQ(status_of(ok), 200) << ok;
  EXPECT_NE(ok.find("\"body_size\":8"), std::string::npos) << ok;
}

TEST_F(ApiServerBodies, AnAnnouncedLengthOverTheLimitIs413OnlyOnceAuthenticated) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  const std::string head = "POST /v1/swarms/s1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n";
  RawClient anonymous(server->port());
  anonymous.send(head + "\r\n");
  EXPECT_EQ(status_of(anonymous.receive(3s, "\r\n\r\n")), 401);
  RawClient known(server->port());
  known.send(head + "Authorization: Bearer good\r\n\r\n");
  const std::string answer = known.receive(3s, "}");
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_EQ(handler.calls, 0);
}

TEST_F(ApiServerBodies, ContinueIsSentOnlyToAnAuthenticatedSender) {
  start();
  const std::string head = "POST /v1/swarms/s1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n";
  RawClient anonymous(server->port());
  anonymous.send(head + "\r\n");
  const std::string refused = anonymous.receive(3s, "\r\n\r\n");
  EXPECT_EQ(status_of(refused), 401) << refused;
  RawClient known(server->port());
  known.send(head + "Authorization: Bearer good\r\n\r\n");
  EXPECT_EQ(known.receive(3s, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  known.send("hello");
  const std::string answer = known.receive(3s, "}");
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("\"body_size\":5"), std::string::npos) << answer;
}

TEST_F(ApiServerBodies, APostWithoutLengthOrEncodingHasAnEmptyBodyAndIsAnsweredAtOnce) {
  start();
  RawClient client(server->port());
  const auto begin = Steady::now();
  client.send("POST /v1/swarms/s1/rotate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n");
  const std::string answer = client.receive(15s, "}");
  const auto waited = Steady::now() - begin;
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("\"auth\":\"ok\",\"body_size\":0"), std::string::npos) << answer;
  EXPECT_LT(waited, 1s);
}

}  // namespace
}  // namespace keyd::adapters::abuse
