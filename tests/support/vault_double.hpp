// VaultDouble: runs tests/doubles/vault_double.py (a HashiCorp Vault stand-in) for one test.
//
//   keyd::testing::VaultDouble vault;                      // plain HTTP on 127.0.0.1, random port
//   vault.address();                                       // "http://127.0.0.1:<port>" (no /v1)
//   vault.root_token();                                    // never expires
//   vault.control("POST", "tokens", {{"ttl", "1h"}, {"policies", {"keyd"}}})["token"];
//   vault.control("POST", "faults", {{"path", "^/v1/secret/data/"}, {"status", 503}, {"times", 1}});
//   vault.requests();                                      // the request log, oldest first
//   vault.api("GET", "secret/data/x");                     // a raw /v1/ call with the root token
//
// TLS: pass VaultDoubleOptions{.tls_cert_file, .tls_key_file[, .client_ca_file]} with PEM files the
// test made (e.g. tests/unit/adapters/curl_test_pki.hpp); address() is then https://127.0.0.1:<port>.
// The control API always goes to a second, plain-HTTP listener, so it works with TLS and mTLS.
//
// The process runs in its own temporary directory (dir(), also handy for the test's files), with
// --exit-with-parent; the destructor sends SIGTERM, waits up to 5 s, then SIGKILLs, and reaps it.
// Every failure to start or to talk to the control API throws std::runtime_error with the reason
// and the double's log, so a test fails clearly instead of hanging. Not thread-safe.
#pragma once

#include "support/double_process.hpp"
#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::testing {

struct VaultDoubleOptions {
  std::string tls_cert_file;   // PEM server certificate; with tls_key_file the double serves HTTPS
  std::string tls_key_file;    // PEM server key
  std::string client_ca_file;  // PEM CA: client certificates become mandatory (mTLS)
  nlohmann::json config;       // optional --config object, re-applied by reset(); null for none
  std::string root_token;      // empty: the double generates an hvs.… token
  bool nagle = false;          // --nagle: answer like Python's http.server (Nagle on, headers and body apart)
};

// One HTTP answer of the double (body parsed as JSON when it is JSON, else null).
struct VaultDoubleReply {
  int status = 0;
  nlohmann::json body;
  std::string raw_body;
};

class VaultDouble {
 public:
  explicit VaultDouble(VaultDoubleOptions options = {});
  VaultDouble(const VaultDouble&) = delete;
  VaultDouble& operator=(const VaultDouble&) = delete;

  // Base URL for clients: "http(s)://127.0.0.1:<port>", without /v1.
  [[nodiscard]] std::string address() const;
  [[nodiscard]] int port() const { return m_process.port(); }
  [[nodiscard]] int control_port() const { return m_process.control_port(); }
  [[nodiscard]] const std::string& root_token() const { return m_root_token; }
  [[nodiscard]] bool tls() const { return !m_options.tls_cert_file.empty(); }
  // The double's temporary directory (removed at destruction); tests may put files here.
  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir.path(); }

  // A control call: `path` is relative to /_double/ ("tokens", "faults", "tokens/expire", ...).
  // body null sends no body. Returns the parsed answer (null for 204); throws when status >= 300.
  nlohmann::json control(std::string_view method, std::string_view path, const nlohmann::json& body = nullptr);

  // GET /_double/requests → the "requests" array (seq, method, path, query, namespace, auth,
  // x_vault_request, content_type, client_cert, status, fault, outcome, duration_ms).
  [[nodiscard]] nlohmann::json requests();
  void clear_requests() { control("DELETE", "requests"); }
  void reset() { control("POST", "reset"); }

  // A raw /v1/ call (path without /v1/, e.g. "secret/data/x") with `token` (default: root) and
  // X-Vault-Request. Plain-HTTP doubles only (throws std::logic_error when TLS is on). These calls
  // appear in the request log. Never throws on an HTTP status.
  VaultDoubleReply api(std::string_view method, std::string_view path, const nlohmann::json& body = nullptr,
                       std::string_view token = {});

  // The double's stdout/stderr so far (start/stop lines, TLS handshake failures). No secrets.
  [[nodiscard]] std::string log_text() const { return m_process.log_text(); }

 private:
  VaultDoubleOptions m_options;
  TempDir m_dir;
  DoubleProcess m_process{"vault double", m_dir.path()};  // declared after m_dir: stopped before it is removed
  std::string m_root_token;
};

// One HTTP/1.1 exchange over plain TCP to 127.0.0.1:<port> (Connection: close), for test helpers.
// Throws std::runtime_error on a connection failure or after `timeout_ms` without a full answer.
VaultDoubleReply plain_http(int port, std::string_view method, std::string_view target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms = 10'000);

}  // namespace keyd::testing
