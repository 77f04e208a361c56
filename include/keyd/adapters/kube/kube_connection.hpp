// Where the Kubernetes API server is, how to trust it and how to authenticate to it: from the
// in-cluster service account, or from kubeconfig files (several in $KUBECONFIG, contexts, inline
// or file certificates, token / tokenFile, exec credential plugins).
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace keyd::adapters {

struct KubeClientOptions {
  std::string kubeconfig;  // explicit file; empty: in-cluster, else $KUBECONFIG, else ~/.kube/config
  std::string context;     // empty: current-context
};

// The process environment as a value, so resolution is testable.
using Environment = std::map<std::string, std::string, std::less<>>;
[[nodiscard]] Environment process_environment();

// What identifies keyd to the API server right now.
struct KubeCredentials {
  Secret bearer_token;                // Authorization: Bearer …, when non-empty
  std::string client_cert_pem;        // client certificate from an exec plugin
  std::shared_ptr<const Secret> client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;  // refresh before this
};

class KubeCredentialSource {
 public:
  virtual ~KubeCredentialSource() = default;
  // Current credentials; refresh=true after a 401 (re-read the token file, re-run the exec plugin).
  // A service-account token file is re-read at least every minute (projected tokens rotate).
  [[nodiscard]] virtual Result<KubeCredentials> get(bool refresh) = 0;
};

struct KubeConnection {
  std::string server;                // https://host:port (no trailing /)
  std::string default_namespace;     // context namespace, in-cluster namespace file, or "default"
  ports::TlsOptions tls;             // CA, client certificate (static ones), server name, insecure flag
  std::shared_ptr<KubeCredentialSource> credentials;
  std::string description;           // "in-cluster" or "kubeconfig /path (context ctx)" — for messages
};

// Resolve a connection. Errors are invalid_config naming the file and the field.
[[nodiscard]] Result<KubeConnection> load_kube_connection(const KubeClientOptions& options, const Environment& env,
                                                          const ports::Clock& clock);

}  // namespace keyd::adapters
