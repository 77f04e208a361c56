// Helpers of the HTTP server's abuse tests: raw client sockets on 127.0.0.1, a handler that echoes
// (and can be made to block), an authenticator that knows one token, the process's RSS, and the
// fixture that starts the server on 127.0.0.1 with them.
#pragma once

#include "keyd/adapters/http/http_server.hpp"

#include "support/http_test_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

namespace keyd::adapters::abuse {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

class EchoHandler final : public ports::ApiHandler {
 public:
  ports::ApiResponse handle(const ports::ApiRequest& r) override {
    ++calls;
    if (r.path == "/block") {
      std::unique_lock lock(m_mutex);
      ++blocked;
      m_released.wait(lock, [this] { return m_release; });
    }
    if (r.path == "/big") return {200, "application/octet-stream", std::string(64u * 1024 * 1024, 'b')};
    const char* kinds[] = {"none", "ok", "rejected", "unavailable"};
    return {200, "application/json",
            std::string("{\"auth\":\"") + kinds[static_cast<int>(r.auth.kind)] + "\",\"body_size\":" +
                std::to_string(r.body.size()) + "}"};
  }
  void release() {
    {
      const std::lock_guard lock(m_mutex);
      m_release = true;
    }
    m_released.notify_all();
  }
  std::atomic<int> calls{0};
  std::atomic<int> blocked{0};

 private:
  std::mutex m_mutex;
  std::condition_variable m_released;
  bool m_release = false;
};

// Knows the token "good".
class OneTokenAuthenticator final : public ports::Authenticator {
 public:
  Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    ++lookups;
    if (token == "good") return std::optional<ports::Caller>{ports::Caller{"token:good", true}};
    return std::optional<ports::Caller>{};
  }
  std::atomic<int> lookups{0};
};

// A connected client socket; closes itself.
class RawClient {
 public:
  explicit RawClient(int port) : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(m_fd); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(std::string_view bytes) {
    return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Whatever arrives within `wait` (until the server closes, or `until` is seen).
  std::string receive(std::chrono::milliseconds wait, std::string_view until = {}) {
    std::string answer;
    const auto deadline = Steady::now() + wait;
    while (Steady::now() < deadline) {
      pollfd p{m_fd, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
      char buf[4096];
      const auto n = ::recv(m_fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_by_peer = true;
        break;
      }
      answer.append(buf, static_cast<std::size_t>(n));
      if (!until.empty() && answer.find(until) != std::string::npos) break;
    }
    return answer;
  }
  [[nodiscard]] int fd() const { return m_fd; }

  bool connected = false;
  bool closed_by_peer = false;

 private:
  int m_fd;
};

using testing::status_of;  // tests/support/http_test_client.hpp

// Resident set of this process (the server runs in it), in bytes.
inline std::size_t rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word) {
    if (word == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

// The HTTP server on 127.0.0.1 (a port chosen at run time) in front of an EchoHandler, with a
// OneTokenAuthenticator. TearDown releases blocked handlers and stops the server.
class AbuseServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    handler.release();
    if (server) server->stop();
  }

  void start(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto started = start_http_server(options, handler, {auth});
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }

  EchoHandler handler;
  std::shared_ptr<OneTokenAuthenticator> auth = std::make_shared<OneTokenAuthenticator>();
  std::unique_ptr<HttpServer> server;
};

}  // namespace keyd::adapters::abuse
