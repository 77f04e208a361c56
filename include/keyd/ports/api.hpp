// The daemon's HTTP API as seen by its handler: a request that the server has already bounded
// and authenticated, and the answer. The server adapter (keyd/adapters/http) knows nothing of swarms;
// the handler (server::DaemonApi) knows nothing of sockets.
#pragma once

#include "keyd/common/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::ports {

struct Caller {
  std::string name;        // "token:<name from the tokens file>" or "k8s:<username>"; what allow-lists name
  // false when the authenticator forbids rotate and sync (tokenreview.allowed_users); the caller
  // must also be one of the swarm's operators (server::DaemonApi).
  bool may_write = false;
  // The pod a TokenReview said the token is bound to (user.extra authentication.kubernetes.io/pod-name
  // and pod-uid); empty when the token is not bound to a pod or is not a Kubernetes token.
  std::string pod{};
  std::string pod_uid{};

  // Who the audit trail names: "k8s:system:serviceaccount:ipfs:ipfs-overlay pod=ipfs-0 pod_uid=<uid>" (the
  // uid tells apart two incarnations of a StatefulSet's ipfs-0), or the name alone.
  [[nodiscard]] std::string actor() const {
    if (pod.empty()) return name;
    return pod_uid.empty() ? name + " pod=" + pod : name + " pod=" + pod + " pod_uid=" + pod_uid;
  }
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
  std::vector<std::pair<std::string, std::string>> headers{};  // extra headers, e.g. Cache-Control: no-store
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
