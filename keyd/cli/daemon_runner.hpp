// keyd daemon's process: the reconciler loop, leader election and the HTTP API, until SIGTERM/SIGINT.
// Three threads: the main one waits for signals, one runs the reconciler, one the election; the
// HTTP server has its own pool. The configuration is loaded once and prepared (daemon_prepare.hpp).
// SIGHUP loads and prepares the new configuration as startup does: one that is invalid or could
// not start is logged and counted, and the running daemon carries on; otherwise keyd restarts in
// place (execv, same PID and identity).
#pragma once

#include <string>

namespace keyd::cli {

struct DaemonFlags {
  std::string config;  // --config (a --swarm is not offered: the daemon runs every swarm)
  std::string listen;  // --listen ("": server.listen)
};

class DaemonRunner {
 public:
  explicit DaemonRunner(DaemonFlags flags);
  // Runs until stopped; the exit code. Returns only when stopped or when a restart in place failed.
  [[nodiscard]] int run();

 private:
  DaemonFlags m_flags;
};

}  // namespace keyd::cli
