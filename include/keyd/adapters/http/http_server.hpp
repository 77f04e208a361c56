// The daemon's HTTP(S) server (keyd/adapters/http: an epoll loop of its own, OpenSSL for TLS):
// bounded requests (body, head and request-line size; a total deadline per request; a connection
// cap), bearer-token authentication through the given authenticators before any body is read,
// health probes answered on a lane of their own, JSON error bodies for everything the server
// refuses by itself. Routing and answers belong to the ports::ApiHandler.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/api.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8750;        // 0: any free port (see HttpServer::port)
  std::string cert_file;  // both set: HTTPS
  std::string key_file;
  std::size_t max_body_bytes = 64 * 1024;
  int threads = 4;  // handler workers (the health probes have a thread of their own)
  // Head and body of a request must arrive within it (from its first byte, the accept or the
  // previous answer: an idle keep-alive connection is closed after it); 408 otherwise. An answer
  // not written within it closes the connection.
  std::chrono::milliseconds timeout{10'000};
  // Connections at once. One more makes the oldest without a complete request (slow head, idle
  // keep-alive) close, or is refused with 503 at once. Lowered (with a warning) when the open
  // file limit cannot be raised enough.
  std::size_t max_connections = 512;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  [[nodiscard]] virtual int port() const = 0;
  // Close the listener and every connection; handlers in flight finish. Idempotent.
  virtual void stop() = 0;
};

// "127.0.0.1:8750", "[::1]:8750", "0.0.0.0:0" → host and port. invalid_config otherwise.
[[nodiscard]] Result<std::pair<std::string, int>> parse_listen_address(std::string_view listen);

// Binds, then serves on its own threads until stop(). Errors name the address (bind) or the
// certificate files (TLS).
[[nodiscard]] Result<std::unique_ptr<HttpServer>> start_http_server(
    HttpServerOptions options, ports::ApiHandler& handler,
    std::vector<std::shared_ptr<ports::Authenticator>> authenticators);

// Bearer tokens from a file of "<sha256 hex of the token> <caller name>" lines ('#' comments and
// blank lines allowed). Compared in constant time against every entry; callers may write.
// invalid_config naming the file and line for anything else; the file must not be world-readable.
[[nodiscard]] Result<std::shared_ptr<ports::Authenticator>> make_tokens_file_authenticator(const std::string& path);

}  // namespace keyd::adapters
