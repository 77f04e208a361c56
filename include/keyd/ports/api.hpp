// The daemon's HTTP API as seen by its handler: a request that the server has already bounded
// and authenticated, and the answer. The server adapter (cpp-httplib) knows nothing of swarms;
// the handler (app::DaemonService) knows nothing of sockets.
#pragma once

#include "keyd/common/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace keyd::ports {

struct Caller {
  std::string name;        // "token:<name from the tokens file>" or "k8s:<username>"; audited as the actor
  bool may_write = false;  // may rotate and sync
};

// What the server learned from the Authorization header.
struct Authentication {
  enum class Kind { none, ok, rejected, unavailable } kind = Kind::none;
  std::optional<Caller> caller;  // with ok
  std::string reason;            // with rejected / unavailable: for the log, never the token
};

struct ApiRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query
  Authentication auth;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class ApiHandler {
 public:
  virtual ~ApiHandler() = default;
  // Called on the server's worker threads: must be thread-safe.
  [[nodiscard]] virtual ApiResponse handle(const ApiRequest& request) = 0;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // nullopt: the token is not one this authenticator knows (try the next one). An error: it
  // could not tell (the TokenReview API is down). Never logs or returns the token.
  [[nodiscard]] virtual Result<std::optional<Caller>> authenticate(std::string_view bearer_token) = 0;
};

}  // namespace keyd::ports
