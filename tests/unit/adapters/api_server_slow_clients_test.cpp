// The HTTP server and slow or numerous clients (issue 15 item 3): a total deadline per request,
// health probes that answer while hundreds of slow clients are connected and every worker is
// busy, and a connection cap whose excess is never queued.
#include "api_server_abuse_helpers.hpp"

#include <memory>
#include <thread>
#include <vector>

namespace keyd::adapters::abuse {
namespace {

class ApiServerSlowClients : public AbuseServerTest {
 protected:
  // GET a probe on a new connection; the time until the whole answer arrived.
  std::chrono::milliseconds probe(const std::string& path, int* status) {
    const auto begin = Steady::now();
    RawClient client(server->port());
    client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    *status = status_of(client.receive(5s, "}"));
    return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - begin);
  }

  std::vector<std::unique_ptr<RawClient>> slow_clients(int count) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < count; ++i) {
      clients.push_back(std::make_unique<RawClient>(server->port()));
      clients.back()->send("GET /v1/swarms HTTP/1.1\r\nHost: x\r\n");  // and the rest never comes
    }
    return clients;
  }
};

TEST_F(ApiServerSlowClients, ATricklingClientIsCutOffAtTheTotalDeadline) {
  HttpServerOptions options;
  options.timeout = 1s;
  start(options);
  RawClient client(server->port());
  const auto begin = Steady::now();
  client.send("GET /v1/swarms HTTP/1.1\r\n");
  std::string answer;
  for (int line = 0; line < 20 && !client.closed_by_peer; ++line) {
    answer += client.receive(300ms);
    if (!client.send("X-Line-" + std::to_string(line) + ": a\r\n")) break;
  }
  answer += client.receive(100ms);
  const auto waited = Steady::now() - begin;
  EXPECT_EQ(status_of(answer), 408) << answer.substr(0, 200);
  EXPECT_TRUE(client.closed_by_peer);
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 1600ms) << "one header line per 300 ms kept the connection";
  EXPECT_EQ(handler.calls, 0);
}

TEST_F(ApiServerSlowClients, AnIdleKeptAliveConnectionIsClosedAfterTheTimeout) {
  HttpServerOptions options;
  options.timeout = 1s;
  start(options);
  RawClient client(server->port());
  client.send("GET /v1/swarms HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(client.receive(2s, "}")), 200);
  const auto begin = Steady::now();
  EXPECT_EQ(client.receive(5s), "") << "nothing more is sent: closed silently";
  EXPECT_TRUE(client.closed_by_peer);
  EXPECT_LT(Steady::now() - begin, 1600ms);
}

TEST_F(ApiServerSlowClients, AnAnswerNotReadWithinTheTimeoutClosesTheConnection) {
  HttpServerOptions options;
  options.timeout = 1s;
  start(options);
  RawClient client(server->port());
  int small = 4096;  // a small receive buffer: the 64 MiB answer cannot be written out
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(1500ms);  // reading nothing
  const auto begin = Steady::now();
  std::size_t received = 0;
  char buf[65536];
  for (;;) {
    pollfd p{client.fd(), POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    const auto n = ::recv(client.fd(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    received += static_cast<std::size_t>(n);
  }
  EXPECT_LT(received, 64u * 1024 * 1024) << "the whole answer waited for a client that did not read";
  EXPECT_LT(Steady::now() - begin, 2s);
}

TEST_F(ApiServerSlowClients, ProbesAnswerWithinASecondWhileHundredsOfSlowClientsAreConnected) {
  HttpServerOptions options;
  options.threads = 4;
  start(options);
  const auto clients = slow_clients(300);
  std::this_thread::sleep_for(200ms);
  for (const char* path : {"/healthz", "/readyz"}) {
    int status = 0;
    const auto took = probe(path, &status);
    EXPECT_EQ(status, 200) << path;
    EXPECT_LT(took, 1s) << path;
    RecordProperty(std::string(path + 1) + "_ms", std::to_string(took.count()));
  }
}

TEST_F(ApiServerSlowClients, ProbesAnswerWhileEveryWorkerIsBusy) {
  HttpServerOptions options;
  options.threads = 2;
  start(options);
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(server->port()));
    busy.back()->send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  while (handler.blocked < 2) std::this_thread::sleep_for(5ms);
  int status = 0;
  EXPECT_LT(probe("/healthz", &status), 1s);
  EXPECT_EQ(status, 200);
}

TEST_F(ApiServerSlowClients, AtTheCapTheOldestSlowClientMakesRoom) {
  HttpServerOptions options;
  options.max_connections = 8;
  start(options);
  const auto clients = slow_clients(8);
  std::this_thread::sleep_for(100ms);
  int status = 0;
  EXPECT_LT(probe("/healthz", &status), 1s);
  EXPECT_EQ(status, 200);
  clients.front()->receive(1s);
  EXPECT_TRUE(clients.front()->closed_by_peer) << "the oldest slow client was closed to make room";
}

TEST_F(ApiServerSlowClients, AtTheCapWithNothingToCloseTheExcessIsRefusedAtOnce) {
  HttpServerOptions options;
  options.max_connections = 2;
  options.threads = 2;
  start(options);
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(server->port()));
    busy.back()->send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  while (handler.blocked < 2) std::this_thread::sleep_for(5ms);
  const auto begin = Steady::now();
  RawClient excess(server->port());
  excess.send("GET /v1/swarms HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string answer = excess.receive(3s, "}");
  EXPECT_LT(Steady::now() - begin, 500ms) << "queued instead of refused";
  EXPECT_EQ(status_of(answer), 503) << answer;
  EXPECT_TRUE(answer.empty() || excess.closed_by_peer || answer.find("Connection: close") != std::string::npos);
  handler.release();
  EXPECT_EQ(status_of(busy.front()->receive(3s, "}")), 200) << "the requests in flight are answered";
}

TEST_F(ApiServerSlowClients, StopReturnsPromptlyWithSlowClientsConnected) {
  HttpServerOptions options;
  start(options);
  const auto clients = slow_clients(50);
  std::this_thread::sleep_for(100ms);
  const auto begin = Steady::now();
  server->stop();
  EXPECT_LT(Steady::now() - begin, 1s);
  clients.front()->receive(1s);
  EXPECT_TRUE(clients.front()->closed_by_peer);
  server->stop();  // idempotent
}

}  // namespace
}  // namespace keyd::adapters::abuse
