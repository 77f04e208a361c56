// keyd daemon's startup, first half: everything the daemon runs from, built out of the loaded
// configuration and checked as starting needs it — store, swarms and their targets, the leader
// elector, the tokens file (present, not world-readable, parsed), TokenReview's Kubernetes client,
// the TLS files, the listen address — with no side effects: no network call, no write, no socket
// left open. Startup prepares and then starts; SIGHUP prepares the new configuration and restarts
// in place only when that succeeded, so a configuration that could not start is refused while the
// running daemon keeps serving and leading.
#pragma once

#include "kube_wiring.hpp"
#include "runtime.hpp"

#include "keyd/adapters/http/http_server.hpp"
#include "keyd/app/daemon.hpp"
#include "keyd/ports/api.hpp"
#include "keyd/ports/leadership.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace keyd::cli {

// Declaration order is destruction order in reverse: the runtime (clock, store, Kubernetes client)
// outlives what uses it.
struct PreparedDaemon {
  std::unique_ptr<Runtime> runtime;
  KubeResources* kube = nullptr;  // the runtime's; null when nothing uses Kubernetes
  std::vector<app::DaemonSwarm> swarms;
  std::unique_ptr<ports::LeaderElector> elector;
  std::vector<std::shared_ptr<ports::Authenticator>> authenticators;
  adapters::HttpServerOptions http;
};

// Where the running daemon listens (a reload): the same address is not bound again.
struct RunningListen {
  std::string host;
  int configured_port = 0;  // 0: any free port
  int bound_port = 0;
};

// `config` was loaded from `config_path` (named in errors); `listen`: the --listen flag ("":
// server.listen). With `running`, a listen address other than the running one must be free now
// (bound and closed again).
[[nodiscard]] Result<PreparedDaemon> prepare_daemon(config::Config config, const std::string& config_path,
                                                    const std::string& listen,
                                                    const std::optional<RunningListen>& running = std::nullopt);

// Restarting in place keeps the Lease (same PID, same identity) when both use the same one.
[[nodiscard]] bool same_lease(const PreparedDaemon& running, const PreparedDaemon& next);

}  // namespace keyd::cli
