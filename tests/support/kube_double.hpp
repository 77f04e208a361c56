// KubeDouble: runs tests/doubles/kube_double.py (a kube-apiserver stand-in, see
// tests/doubles/README-kube.md) for one test, over HTTPS with a test CA made at start-up.
//
//   keyd::testing::KubeDouble kube;                  // HTTPS on 127.0.0.1, random port
//   kube.address();                                  // "https://127.0.0.1:<port>"
//   kube.ca_file();                                  // PEM CA that signed the server certificate
//   kube.admin_token();                              // user "admin", group system:masters
//   kube.kubeconfig_file();                          // a ready kubeconfig (admin token, namespace default)
//   kube.create_object("apps", "statefulsets", sts); // seed objects (no auth, no request log)
//   kube.object("", "secrets", "ipfs", "swarm");     // read one back (null when missing)
//   kube.token_for("restricted", rules);             // a bearer token of a user with RBAC-like rules
//   kube.service_account_token(user, {"keyd"}, "ipfs-0", uid);  // for TokenReviews, bound to a pod
//   kube.control("POST", "controller", {{"seconds_per_pod", 0.05}});
//   kube.control("POST", "faults", {{"method", "PUT"}, {"path", "/secrets/"}, {"status", 409}, {"times", 1}});
//   kube.requests();                                 // the request log, oldest first
//
// The control API goes to a second, plain-HTTP listener. The process runs in its own temporary
// directory (dir()) with --exit-with-parent; the destructor sends SIGTERM, waits up to 5 s, then
// SIGKILLs. Failures to start or to talk to the control API throw std::runtime_error with the
// double's log. Not thread-safe.
#pragma once

#include "support/double_process.hpp"
#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace keyd::testing {

struct KubeDoubleOptions {
  bool tls = true;             // HTTPS with the fixture's test CA; false: plain HTTP
  bool client_certs = false;   // also accept client certificates signed by the test CA (CN = user)
  nlohmann::json config;       // optional --config object (namespaces, users, objects, ...), re-applied by reset()
  std::string admin_token;     // empty: the double generates a kd-… token
  double tick_seconds = 0.02;  // controller period
};

class KubeDouble {
 public:
  explicit KubeDouble(KubeDoubleOptions options = {});
  KubeDouble(const KubeDouble&) = delete;
  KubeDouble& operator=(const KubeDouble&) = delete;

  // Base URL for clients: "https://127.0.0.1:<port>" (http:// without TLS).
  [[nodiscard]] std::string address() const;
  [[nodiscard]] int port() const { return m_process.port(); }
  [[nodiscard]] int control_port() const { return m_process.control_port(); }
  [[nodiscard]] const std::string& admin_token() const { return m_admin_token; }
  [[nodiscard]] bool tls() const { return m_options.tls; }
  // The double's temporary directory (removed at destruction); tests may put files here.
  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir.path(); }

  // PEM files of the test PKI (TLS only): the CA, and a client certificate (CN "keyd test client")
  // with its key. The server certificate is valid for 127.0.0.1 and localhost.
  [[nodiscard]] std::string ca_file() const { return (m_dir / "pki" / "ca.pem").string(); }
  [[nodiscard]] std::string client_cert_file() const { return (m_dir / "pki" / "client.pem").string(); }
  [[nodiscard]] std::string client_key_file() const { return (m_dir / "pki" / "client-key.pem").string(); }
  // A kubeconfig (JSON) the double wrote: cluster with certificate-authority = ca_file(), the admin
  // token, context "double" with namespace "default".
  [[nodiscard]] std::string kubeconfig_file() const { return (m_dir / "kubeconfig").string(); }

  // A control call: `path` is relative to /_double/ ("controller", "faults", "tokens", ...). body
  // null sends no body. Returns the parsed answer (null for 204); throws when status >= 300.
  nlohmann::json control(std::string_view method, std::string_view path, const nlohmann::json& body = nullptr);

  // GET /_double/requests → the "requests" array (seq, method, path, query, content_type, user, auth,
  // user_agent, verb, resource, group, namespace, name, subresource, status, fault, outcome, ...).
  [[nodiscard]] nlohmann::json requests();
  void clear_requests() { control("DELETE", "requests"); }
  void reset() { control("POST", "reset"); }

  // Objects, as another client would write them (no auth, faults or request log; same validation,
  // resourceVersion bumps and watch events). `group` is "" for core/v1, "apps" for workloads.
  nlohmann::json create_object(std::string_view group, std::string_view resource, const nlohmann::json& object);
  nlohmann::json merge_object(std::string_view group, std::string_view resource, std::string_view ns,
                              std::string_view name, const nlohmann::json& patch);
  // The stored object, or null when it does not exist.
  [[nodiscard]] nlohmann::json object(std::string_view group, std::string_view resource, std::string_view ns,
                                      std::string_view name);
  // Every stored object of a resource in a namespace (pods of a workload, events, ...).
  [[nodiscard]] nlohmann::json objects(std::string_view group, std::string_view resource, std::string_view ns);
  void ensure_namespace(std::string_view name) { control("POST", "namespaces", {{"name", name}}); }

  // A bearer token for `user`, whose permissions become `rules` (RBAC-like, see the README).
  std::string token_for(std::string_view user, const nlohmann::json& rules);
  // A service-account token of `user` issued for `audiences` (what a TokenReview checks). With a
  // pod name it is bound to that pod: TokenReviews answer user.extra pod-name and pod-uid (an empty
  // uid: the double makes one up).
  std::string service_account_token(std::string_view user, const nlohmann::json& audiences,
                                    std::string_view pod = {}, std::string_view pod_uid = {});

  // The double's stdout/stderr so far. No secrets.
  [[nodiscard]] std::string log_text() const { return m_process.log_text(); }

 private:
  KubeDoubleOptions m_options;
  TempDir m_dir;
  DoubleProcess m_process{"kube double", m_dir.path()};  // declared after m_dir: stopped before it is removed
  std::string m_admin_token;
};

}  // namespace keyd::testing
