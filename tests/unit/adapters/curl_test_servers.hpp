// In-process servers for the curl transport tests, all on 127.0.0.1 and a port the kernel picks:
// cpp-httplib HTTP(S) servers, and a raw TCP server for what httplib cannot do (a custom verb such
// as LIST, never answering, hanging up, a truncated reply).
#pragma once

#include "support/httplib_system.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace keyd::adapters::curl_test {

// An httplib server (routes registered before it is handed over) serving from a background thread
// until destroyed.
class HttplibServer {
 public:
  explicit HttplibServer(std::unique_ptr<httplib::Server> server) : m_server(std::move(server)) {
    m_server->set_keep_alive_timeout(1);
    m_port = m_server->bind_to_any_port("127.0.0.1");
    if (m_port <= 0) throw std::runtime_error("httplib: cannot bind 127.0.0.1");
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
  }
  ~HttplibServer() {
    // stop() does nothing before the accept loop has started, so wait for it (bounded).
    for (int i = 0; i < 5000 && !m_server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    m_server->stop();
    m_thread.join();
  }
  HttplibServer(const HttplibServer&) = delete;
  HttplibServer& operator=(const HttplibServer&) = delete;

  [[nodiscard]] int port() const { return m_port; }

 private:
  std::unique_ptr<httplib::Server> m_server;
  int m_port = 0;
  std::thread m_thread;
};

// Accepts connections one at a time, reads a request (headers and Content-Length body), then acts
// according to its mode and closes the connection.
class RawServer {
 public:
  enum class Mode { respond, hang_up, never_answer };

  explicit RawServer(Mode mode, std::string response = {}) : m_mode(mode), m_response(std::move(response)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if (m_listener < 0 || ::bind(m_listener, sa, len) != 0 || ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, sa, &len) != 0) {
      throw std::runtime_error("raw server: cannot listen on 127.0.0.1");
    }
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { run(); });
  }
  ~RawServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::string last_request() const {
    const std::scoped_lock lock(m_mutex);
    return m_last_request;
  }

 private:
  bool wait_readable(int fd) const {
    while (!m_stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  std::string read_request(int fd) const {
    std::string data;
    char buffer[4096];
    std::size_t wanted = std::string::npos;
    while (data.size() < wanted && wait_readable(fd)) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      data.append(buffer, static_cast<std::size_t>(n));
      const auto end = data.find("\r\n\r\n");
      if (end != std::string::npos && wanted == std::string::npos) {
        std::size_t length = 0;
        std::string lower = data.substr(0, end);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (const auto at = lower.find("content-length:"); at != std::string::npos) {
          length = std::stoul(lower.substr(at + 15));
        }
        wanted = end + 4 + length;
      }
    }
    return data;
  }

  void run() {
    while (wait_readable(m_listener)) {
      const int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request = read_request(fd);
      {
        const std::scoped_lock lock(m_mutex);
        m_last_request = std::move(request);
      }
      if (m_mode == Mode::respond) {
        (void)!::send(fd, m_response.data(), m_response.size(), MSG_NOSIGNAL);
      } else if (m_mode == Mode::never_answer) {
        char byte = 0;
        while (wait_readable(fd) && ::recv(fd, &byte, 1, 0) > 0) {
        }  // until the client gives up
      }
      ::close(fd);
    }
  }

  Mode m_mode;
  std::string m_response;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::string m_last_request;
  std::thread m_thread;
};

}  // namespace keyd::adapters::curl_test
