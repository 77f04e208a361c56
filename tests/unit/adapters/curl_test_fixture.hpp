// Shared helpers for the curl transport tests (curl_transport*_test.cpp): request and transport
// builders, the echo server's routes and the CurlTransportTest fixture.
#pragma once

#include "keyd/adapters/curl/curl_transport.hpp"

#include "curl_test_servers.hpp"
#include "support/log_capture.hpp"
#include "support/test_support.hpp"

#include <chrono>
#include <csignal>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace keyd::adapters::curl_test {

using namespace std::chrono_literals;
using ports::HttpHeader;
using ports::HttpRequest;
using ports::HttpResponse;

// Recognisable values that must never appear in an error message or a log line.
inline constexpr const char* k_token = "tok3n-7f3a1c";
inline constexpr const char* k_body = "b0dy-91c2e8";
inline constexpr const char* k_query = "qu3ry-55d0b4";

inline HttpRequest request(std::string method, std::string url, std::string_view body = {},
                           std::vector<HttpHeader> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = Secret::from_text(body);
  r.headers = std::move(headers);
  r.connect_timeout = 2s;
  r.total_timeout = 10s;
  return r;
}

inline std::unique_ptr<ports::HttpTransport> transport(ports::TlsOptions tls = {}) {
  auto made = make_curl_transport(std::move(tls));
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(*made);
}

inline std::string url(int port, std::string_view path, std::string_view scheme = "http") {
  return fmt::format("{}://127.0.0.1:{}{}", scheme, port, path);
}

inline int closed_port() {
  RawServer server(RawServer::Mode::hang_up);
  return server.port();  // nothing listens there once `server` is gone
}

using testing::LogCapture;

inline ports::TlsOptions trusting(const std::string& ca_file) {
  ports::TlsOptions tls;
  tls.ca_file = ca_file;
  return tls;
}

inline std::string header_of(const httplib::Headers& headers, const std::string& name) {
  const auto it = headers.find(name);  // case-insensitive
  return it == headers.end() ? std::string() : it->second;
}

// What the echo server saw of the last request.
struct Seen {
  std::mutex mutex;
  std::string method, body, host;
  httplib::Headers headers;
};

// GET/POST/PUT/PATCH/DELETE /echo answer "<METHOD>:<body>" with an X-Echo-Method header; /status/N
// answers N; /redirect answers 307.
inline std::unique_ptr<httplib::Server> echo_routes(std::unique_ptr<httplib::Server> server, Seen& seen) {
  const auto echo = [&seen](const httplib::Request& req, httplib::Response& res) {
    {
      const std::scoped_lock lock(seen.mutex);
      seen.method = req.method;
      seen.body = req.body;
      seen.headers = req.headers;
      seen.host = req.get_header_value("Host");
    }
    res.set_header("X-Echo-Method", req.method);
    res.set_content(req.method + ":" + req.body, "text/plain");
  };
  server->Get("/echo", echo);
  server->Post("/echo", echo);
  server->Put("/echo", echo);
  server->Patch("/echo", echo);
  server->Delete("/echo", echo);
  server->Get(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = std::stoi(req.matches[1]);
    if (res.status != 204) res.set_content("status body", "text/plain");
  });
  server->Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/echo");
  });
  return server;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  Seen m_seen;
  HttplibServer m_server{echo_routes(std::make_unique<httplib::Server>(), m_seen)};
  std::unique_ptr<ports::HttpTransport> m_transport = transport();  // destroyed first: closes its connections

  std::string echo_url() const { return url(m_server.port(), "/echo"); }
};

}  // namespace keyd::adapters::curl_test
