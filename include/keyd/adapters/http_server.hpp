// The daemon's HTTP(S) server (cpp-httplib): bounded requests (body size, header and URI length,
// read/write timeouts, a fixed worker pool), bearer-token authentication through the given
// authenticators, JSON error bodies for everything the library refuses by itself. Routing and
// answers belong to the ports::ApiHandler.
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
  int threads = 4;
  std::chrono::milliseconds timeout{10'000};  // read and write, per request
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  [[nodiscard]] virtual int port() const = 0;
  // Stop accepting and wait for the requests in flight. Idempotent.
  virtual void stop() = 0;
};

// "127.0.0.1:8750", "[::1]:8750", "0.0.0.0:0" → host and port. invalid_config otherwise.
[[nodiscard]] Result<std::pair<std::string, int>> parse_listen_address(std::string_view listen);

// Binds, then serves on its own thread until stop(). Errors name the address (bind) or the
// certificate files (TLS).
[[nodiscard]] Result<std::unique_ptr<HttpServer>> start_http_server(
    HttpServerOptions options, ports::ApiHandler& handler,
    std::vector<std::shared_ptr<ports::Authenticator>> authenticators);

// Bearer tokens from a file of "<sha256 hex of the token> <caller name>" lines ('#' comments and
// blank lines allowed). Compared in constant time against every entry; callers may write.
// invalid_config naming the file and line for anything else; the file must not be world-readable.
[[nodiscard]] Result<std::shared_ptr<ports::Authenticator>> make_tokens_file_authenticator(const std::string& path);

}  // namespace keyd::adapters
