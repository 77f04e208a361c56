// keyd daemon: its flags; the process itself is the DaemonRunner's (daemon_runner.hpp).
#include "commands.hpp"
#include "daemon_runner.hpp"

#include <memory>

namespace keyd::cli {

void add_daemon(CLI::App& app, Action& action) {
  auto flags = std::make_shared<DaemonFlags>();
  auto* cmd = app.add_subcommand("daemon",
                                 "Run keyd as a service: keep every swarm's targets on the stored key, rotate on "
                                 "schedule, serve the HTTP API (/healthz, /readyz, /metrics, /v1/swarms)");
  cmd->add_option("-c,--config", flags->config, "Configuration file (YAML)")->envname("KEYD_CONFIG");
  cmd->add_option("--listen", flags->listen, "host:port for the HTTP API (overrides server.listen)");
  cmd->footer(
      "SIGHUP reloads the configuration (a configuration that is invalid or cannot start is refused and the\n"
      "daemon keeps serving the old one); SIGTERM stops it once the swarm being checked is done. See\n"
      "docs/daemon.md.\n"
      "Example: keyd daemon --config /etc/keyd/keyd.yaml --listen 0.0.0.0:8750");
  cmd->callback([flags, &action] { action = [flags] { return DaemonRunner(*flags).run(); }; });
}

}  // namespace keyd::cli
