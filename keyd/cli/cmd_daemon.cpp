// keyd daemon: the reconciler loop, leader election and the HTTP API, until SIGTERM/SIGINT.
// Three threads: the main one waits for signals, one runs the reconciler, one the election; the
// HTTP server has its own pool. SIGHUP prepares the new config as startup does (daemon_prepare.hpp):
// one that is invalid or could not start is logged and counted, and the running daemon carries on;
// otherwise keyd restarts in place (execv, same PID and identity).
#include "common.hpp"
#include "daemon_prepare.hpp"
#include "keyd/adapters/http_server.hpp"
#include "keyd/app/config_reloads.hpp"
#include "keyd/app/daemon_service.hpp"

#include <unistd.h>
#include <csignal>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::cli {

namespace {

// Carries the reload counts across a restart in place (internal to keyd daemon).
constexpr const char* k_reloads_env = "KEYD_DAEMON_RELOADS";

struct DaemonFlags {
  SwarmOptions swarm;  // --config (a --swarm is not offered: the daemon runs every swarm)
  std::string listen;
};

// Sleeps that end early when the daemon stops.
class StopFlag {
 public:
  void stop() {
    const std::lock_guard lock(m_mutex);
    m_stopped = true;
    m_cv.notify_all();
  }
  // false when stopped.
  bool wait_until(std::chrono::system_clock::time_point t) {
    std::unique_lock lock(m_mutex);
    m_cv.wait_until(lock, t, [&] { return m_stopped; });
    return !m_stopped;
  }
  bool wait_for(std::chrono::milliseconds d) { return wait_until(std::chrono::system_clock::now() + d); }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopped = false;
};

// This process's command line, for the restart after SIGHUP.
std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return args;
}

// The reload counts of the image this one replaced (restart in place), read once and removed from
// the environment so that nothing this process starts inherits them.
std::string carried_reloads() {
  const char* carried = std::getenv(k_reloads_env);
  std::string text = carried != nullptr ? carried : "";
  ::unsetenv(k_reloads_env);
  return text;
}

// Replace this process's image with keyd on the same command line (same PID, so same identity).
// Returns only when that failed. The signals stay blocked across execv (the mask and pending
// signals are inherited): one that arrives before the new image waits for it is handled there,
// instead of SIGHUP's default action killing the daemon.
void restart_in_place(const app::ConfigReloads& reloads) {
  ::setenv(k_reloads_env, reloads.carried().c_str(), 1);
  std::vector<std::string> args = own_argv();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
}

int run_daemon(const DaemonFlags& flags) {
  // Signals go to the main thread only: block them before any other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  app::ConfigReloads reloads(carried_reloads());

  const std::string config_path = flags.swarm.config;
  auto prepared = prepare_daemon(config_path, flags.listen);
  if (!prepared) return report_error(prepared.error());
  PreparedDaemon& d = *prepared;
  Wiring& w = *d.wiring;
  const config::Config& cfg = w.config;
  ports::LeaderElector* elector = d.elector.get();

  auto store_metrics = std::make_shared<app::StoreMetrics>(std::string(config::to_string(cfg.store.backend)));
  app::InstrumentedStore instrumented(*w.store, *store_metrics);
  app::SerialisedStore store(instrumented);  // shared by the loop and the API's key reads

  app::DaemonOptions options;
  options.sync_interval = cfg.sync_interval;
  std::mt19937_64 random{std::random_device{}()};
  std::mutex random_mutex;
  auto jitter = [&] {
    const std::lock_guard lock(random_mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  };
  auto reconciler =
      std::make_unique<app::Reconciler>(app::Context{store, *w.audit, w.clock, "keyd-daemon@" + elector->identity()},
                                        std::move(d.swarms), options, jitter);
  app::KeyAccess keys{store, *w.audit, {}};
  for (const auto& s : cfg.swarms) keys.swarms.push_back(app::KeyReaders{s.name, s.path, s.key_readers, s.operators});
  app::DaemonService service(std::move(reconciler), store_metrics, w.clock, KEYD_VERSION, std::move(keys));
  service.add_metrics([&reloads] { return reloads.render(); });

  auto server = adapters::start_http_server(d.http, service, d.authenticators);
  if (!server) return report_error(server.error());
  spdlog::info("daemon: {} swarm(s), store {}, leadership by {}, API on {}:{}", cfg.swarms.size(), w.store->describe(),
               elector->describe(), d.http.host, (*server)->port());

  // The loop stops first and the election last, so the lease stays renewed while the check in
  // progress finishes (no follower takes over while this process may still write).
  StopFlag stop_loop;
  StopFlag stop_election;
  // The first election step runs before the first tick, so a lone daemon acts as leader at once
  // (issues the first key) instead of following for its first round.
  service.set_leadership(elector->step());
  std::thread election([&] {
    while (stop_election.wait_for(cfg.leader_election.retry_period)) service.set_leadership(elector->step());
  });
  std::thread loop([&] {
    do {
      const auto wake = service.tick();
      // Wake at least every second so a leadership change is acted on promptly.
      const auto cap = w.clock.now() + std::chrono::seconds{1};
      if (!stop_loop.wait_until(std::min(wake, cap))) break;
    } while (true);
  });

  bool reexec = false;
  bool keep_lease = false;  // restarting in place on the same Lease: the new image renews it at once
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // Everything the restarted image would need is checked first, by the startup's own code: a
      // configuration that could not start leaves this daemon serving and leading as it is.
      const RunningListen running{d.http.host, d.http.port, (*server)->port()};
      auto next = prepare_daemon(config_path, flags.listen, running);
      if (!next) {
        reloads.record(app::ReloadOutcome::rejected);
        spdlog::error(
            "daemon: SIGHUP: the new configuration is invalid or cannot start; keeping the running one and its "
            "leadership:\n{}",
            next.error().message);
        continue;
      }
      reloads.record(app::ReloadOutcome::restarted);
      spdlog::info("daemon: SIGHUP: configuration {} is valid; restarting in place", config_path);
      reexec = true;
      // Same PID, so the same identity: the restarted daemon finds the Lease held by itself and
      // renews it, and no follower takes over for a reload. A different Lease (or none) is released.
      keep_lease = same_lease(d, *next);
    } else {
      spdlog::info("daemon: {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    break;
  }
  stop_loop.stop();
  service.request_stop();  // the pass in progress ends after its current swarm
  (*server)->stop();
  loop.join();
  stop_election.stop();
  election.join();
  const auto release = [&] {
    if (auto released = elector->release(); !released) spdlog::warn("daemon: {}", released.error().message);
  };
  if (!keep_lease) release();
  if (reexec) {
    restart_in_place(reloads);
    spdlog::error("daemon: restart after SIGHUP failed; exiting");
    if (keep_lease) release();
    return k_exit_failure;
  }
  spdlog::info("daemon: stopped");
  return k_exit_ok;
}

}  // namespace

void add_daemon(CLI::App& app, Action& action) {
  auto flags = std::make_shared<DaemonFlags>();
  auto* cmd = app.add_subcommand("daemon",
                                 "Run keyd as a service: keep every swarm's targets on the stored key, rotate on "
                                 "schedule, serve the HTTP API (/healthz, /readyz, /metrics, /v1/swarms)");
  cmd->add_option("--config", flags->swarm.config, "Configuration file")->envname("KEYD_CONFIG");
  cmd->add_option("--listen", flags->listen, "host:port for the HTTP API (overrides server.listen)");
  cmd->callback([flags, &action] { action = [flags] { return run_daemon(*flags); }; });
}

}  // namespace keyd::cli
