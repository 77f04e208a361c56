// HttpTransport: one HTTP exchange, no retries and no interpretation of the status. Service
// clients (Vault, Kubernetes) map statuses to ErrorCodes once, in their own adapter, and decide
// about retries. Bodies are Secrets because they can carry key material in both directions.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::ports {

struct HttpHeader {
  std::string name;
  std::string value;
  bool sensitive = false;  // tokens: never logged, shown as <redacted>
};

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE, LIST, HEAD
  std::string url;     // absolute: scheme://host:port/path?query
  std::vector<HttpHeader> headers;
  Secret body;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{30'000};
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // names lower-cased
  Secret body;
  // First value of a header (name compared case-insensitively), if present.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

// TLS settings of one transport (one upstream service).
struct TlsOptions {
  std::string ca_file;           // empty: system trust store
  std::string client_cert_file;  // mutual TLS
  std::string client_key_file;
  // The same as PEM text, for credentials that arrive inline (kubeconfig *-data fields, exec
  // plugins). A non-empty PEM wins over the file of the same role.
  std::string ca_pem;
  std::string client_cert_pem;
  std::shared_ptr<const Secret> client_key_pem;  // shared: TlsOptions stays copyable
  std::string server_name;  // verify the certificate against this name instead of the URL's host
  bool insecure_skip_verify = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // A transport-level failure (DNS, connect, TLS, timeout, reset) is an error: unavailable or
  // timeout, naming method and URL (never headers or bodies). Any HTTP status is a response.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace keyd::ports
