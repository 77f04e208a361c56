// The "daemon" backend: a read-only SecretStore over a keyd daemon's HTTP API, for `keyd agent`
// and `keyd fetch` in pods that should hold no store credentials of their own.
//
//   metadata(path)        GET /v1/swarms/{name}      (any authenticated caller; version, fingerprint, created)
//   read(path, nullopt)   GET /v1/swarms/{name}/key  (callers in the swarm's key_readers; audited by the daemon)
//
// The daemon addresses swarms by name, the store port by path: the options carry the config's
// path → name map. The bearer token is re-read from token_file at every request (a projected
// service-account token rotates), held only in wiped memory, and never logged. The key received is
// checked with go-libp2p's grammar and must have the fingerprint the daemon sent with it.
// Past versions and writes are refused: the daemon's API serves only the current key.
#pragma once

#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/secret_store.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace keyd::adapters {

struct DaemonStoreOptions {
  std::string url;                                         // https://keyd.keyd-system.svc:8750
  std::string token_file;                                  // the bearer token, re-read at every request
  std::map<std::string, std::string, std::less<>> swarms;  // store path → swarm name
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{10'000};  // per request
  int max_attempts = 3;                       // per request, for 429, 5xx and connection errors
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{5'000};
  std::chrono::milliseconds retry_after_cap{30'000};
};

// invalid_config unless url is https://, or http:// to a loopback host (127.0.0.0/8, localhost, [::1]).
[[nodiscard]] Status check_daemon_url(std::string_view url);

// The transport (with the daemon's CA), the clock and `random` (the jitter of the retries) must
// outlive the store. Nothing is sent before the first call.
[[nodiscard]] Result<std::unique_ptr<ports::SecretStore>> make_daemon_store(DaemonStoreOptions options,
                                                                            ports::HttpTransport& transport,
                                                                            const ports::Clock& clock,
                                                                            ports::Random& random);

}  // namespace keyd::adapters
