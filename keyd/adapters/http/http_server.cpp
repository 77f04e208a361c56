#include "keyd/adapters/http_server.hpp"

#include "httplib_system.hpp"
#include "request_checks.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <thread>

namespace keyd::adapters {

namespace {

constexpr std::size_t k_max_token_length = 16 * 1024;
constexpr auto k_start_timeout = std::chrono::seconds{5};

std::string json_error(std::string_view code, std::string_view message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
}

std::string_view status_code_name(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 431:
      return "header_too_large";
    default:
      break;
  }
  return status >= 500 ? "internal" : "bad_request";
}

ports::Authentication authenticate(const httplib::Request& req,
                                   const std::vector<std::shared_ptr<ports::Authenticator>>& authenticators) {
  using Kind = ports::Authentication::Kind;
  // From the header map itself: get_header_value() goes through a C string and would cut the
  // value at an embedded NUL ("Bearer good\0junk" would become "Bearer good").
  const auto found = req.headers.find("Authorization");
  if (found == req.headers.end()) return {};
  if (req.headers.count("Authorization") > 1) return {Kind::rejected, std::nullopt, "more than one Authorization header"};
  const std::string& value = found->second;
  constexpr std::string_view k_bearer = "Bearer ";
  if (value.size() <= k_bearer.size() || value.size() > k_max_token_length ||
      !std::equal(k_bearer.begin(), k_bearer.end(), value.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    return {Kind::rejected, std::nullopt, "not a bearer token"};
  }
  const std::string_view token = std::string_view(value).substr(k_bearer.size());
  if (!http::plausible_token(token)) return {Kind::rejected, std::nullopt, "control characters in the bearer token"};
  std::string unavailable;
  for (const auto& a : authenticators) {
    auto result = a->authenticate(token);
    if (!result) {
      unavailable = result.error().message;
      continue;
    }
    if (*result) return {Kind::ok, std::move(*result), {}};
  }
  if (!unavailable.empty()) return {Kind::unavailable, std::nullopt, unavailable};
  return {Kind::rejected, std::nullopt, "unknown token"};
}

class HttplibServer final : public HttpServer {
 public:
  HttplibServer(std::unique_ptr<httplib::Server> server, int port) : m_server(std::move(server)), m_port(port) {}
  ~HttplibServer() override { stop(); }
  HttplibServer(const HttplibServer&) = delete;
  HttplibServer& operator=(const HttplibServer&) = delete;

  [[nodiscard]] int port() const override { return m_port; }

  void start() {
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
  }

  void stop() override {
    if (m_stopped.exchange(true)) return;
    m_server->stop();
    if (m_thread.joinable()) m_thread.join();
  }

  [[nodiscard]] bool wait_running() const {
    const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
    while (!m_server->is_running()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
  }

 private:
  std::unique_ptr<httplib::Server> m_server;
  int m_port;
  std::thread m_thread;
  std::atomic<bool> m_stopped{false};
};

}  // namespace

Result<std::pair<std::string, int>> parse_listen_address(std::string_view listen) {
  const auto bad = [&] {
    return fail(ErrorCode::invalid_config,
                fmt::format("listen address '{}': expected host:port (e.g. 127.0.0.1:8750, [::1]:8750)", listen));
  };
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return bad();
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();
  }
  return std::pair{std::string(host), port};
}

Result<std::unique_ptr<HttpServer>> start_http_server(
    HttpServerOptions options, ports::ApiHandler& handler,
    std::vector<std::shared_ptr<ports::Authenticator>> authenticators) {
  std::unique_ptr<httplib::Server> server;
  const bool tls = !options.cert_file.empty() || !options.key_file.empty();
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(options.cert_file.c_str(), options.key_file.c_str());
    if (!ssl->is_valid()) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("TLS certificate {} or key {}: cannot be loaded", options.cert_file, options.key_file));
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const auto threads = static_cast<std::size_t>(std::max(1, options.threads));
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second daemon bind
  // the same port silently and share its connections.
  server->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
  server->set_tcp_nodelay(true);
  server->set_payload_max_length(options.max_body_bytes);
  server->set_read_timeout(options.timeout);
  server->set_write_timeout(options.timeout);
  // A connection that goes quiet (between requests, or in the middle of its headers) is closed
  // after the same timeout, at least one second (httplib counts keep-alive in whole seconds).
  server->set_keep_alive_timeout(
      std::max<std::time_t>(1, std::chrono::ceil<std::chrono::seconds>(options.timeout).count()));
  server->set_keep_alive_max_count(100);

  auto route = [&handler, auths = std::move(authenticators)](const httplib::Request& req, httplib::Response& res) {
    // One spelling per resource: nothing is percent-decoded or collapsed into another path.
    if (!http::canonical_path(req.target)) {
      res.status = 404;
      res.set_content(json_error("not_found", "no such resource (not a canonical path)"), "application/json");
      return;
    }
    ports::ApiRequest request{req.method, req.path, authenticate(req, auths), req.body};
    if (request.auth.kind == ports::Authentication::Kind::rejected) {
      spdlog::info("api: {} {} from {}: token rejected ({})", req.method, req.path, req.remote_addr,
                   request.auth.reason);
    }
    ports::ApiResponse response = handler.handle(request);
    res.status = response.status;
    if (response.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"keyd\"");
    // The token could not be checked now (the API server is down, or the review rate bound of
    // review_limiter.hpp is reached): come back later.
    if (response.status == 503 && request.auth.kind == ports::Authentication::Kind::unavailable) {
      res.set_header("Retry-After", "1");
    }
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    // Moved, not copied: a key endpoint body then exists once, in the library's response.
    res.body = std::move(response.body);
    res.set_header("Content-Type", response.content_type);
  };
  for (const char* pattern : {R"(/.*)"}) {
    server->Get(pattern, route);
    server->Post(pattern, route);
    server->Put(pattern, route);
    server->Patch(pattern, route);
    server->Delete(pattern, route);
    server->Options(pattern, route);
  }
  // What the library answers by itself (400 malformed, 413, 414, unknown methods): JSON too.
  server->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(json_error(status_code_name(res.status), fmt::format("HTTP {}", res.status)), "application/json");
  });
  server->set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    spdlog::error("api: {} {}: internal error", req.method, req.path);
    res.status = 500;
    res.set_content(json_error("internal", "internal error"), "application/json");
  });

  int port = options.port;
  if (port == 0) {
    port = server->bind_to_any_port(options.host);
    if (port <= 0) return fail(ErrorCode::unavailable, fmt::format("listen on {}:0: cannot bind", options.host));
  } else if (!server->bind_to_port(options.host, port)) {
    return fail(
        ErrorCode::unavailable,
        fmt::format("listen on {}:{}: cannot bind (in use, or not an address of this host)", options.host, port));
  }
  auto running = std::make_unique<HttplibServer>(std::move(server), port);
  running->start();
  if (!running->wait_running()) return fail(ErrorCode::internal, "the HTTP server did not start");
  spdlog::info("api: listening on {}://{}:{}", tls ? "https" : "http", options.host, port);
  return std::unique_ptr<HttpServer>(std::move(running));
}

}  // namespace keyd::adapters
