#include "daemon_runner.hpp"

#include "daemon_prepare.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include "keyd/adapters/http/http_server.hpp"
#include "keyd/adapters/os/process_stats.hpp"
#include "keyd/app/config_reloads.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/server/daemon_api.hpp"
#include "keyd/server/metrics.hpp"

#include <unistd.h>
#include <csignal>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace keyd::cli {

namespace {

// Carries the reload counts across a restart in place (internal to keyd daemon).
constexpr const char* k_reloads_env = "KEYD_DAEMON_RELOADS";

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

// Signals go to the main thread only: blocked before any other thread exists.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// How the daemon ends: stopped, or restarting in place after a SIGHUP whose configuration is valid.
struct Ending {
  bool reexec = false;
  bool keep_lease = false;  // restarting in place on the same Lease: the new image renews it at once
};

// Waits for SIGTERM/SIGINT, or a SIGHUP whose configuration prepares as startup would. Everything
// the restarted image would need is checked first, by the startup's own code: a configuration that
// could not start leaves this daemon serving and leading as it is.
Ending wait_for_ending(const sigset_t& signals, const DaemonFlags& flags, const PreparedDaemon& d, int bound_port,
                       app::ConfigReloads& reloads) {
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) {
      spdlog::info("daemon: {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return Ending{};
    }
    const RunningListen running{d.http.host, d.http.port, bound_port};
    auto next = [&]() -> Result<PreparedDaemon> {
      KEYD_ASSIGN_OR_RETURN(config::Config config, load(flags.config));
      return prepare_daemon(std::move(config), flags.config, flags.listen, running);
    }();
    if (!next) {
      reloads.record(app::ReloadOutcome::rejected);
      spdlog::error(
          "daemon: SIGHUP: the new configuration is invalid or cannot start; keeping the running one and its "
          "leadership:\n{}",
          next.error().message);
      continue;
    }
    reloads.record(app::ReloadOutcome::restarted);
    spdlog::info("daemon: SIGHUP: configuration {} is valid; restarting in place", flags.config);
    // Same PID, so the same identity: the restarted daemon finds the Lease held by itself and
    // renews it, and no follower takes over for a reload. A different Lease (or none) is released.
    return Ending{true, same_lease(d, *next)};
  }
}

// The election and reconciler threads. The loop stops first and the election last, so the lease
// stays renewed while the check in progress finishes (no follower takes over while this process
// may still write).
class DaemonThreads {
 public:
  DaemonThreads(app::DaemonService& service, ports::LeaderElector& elector, const ports::Clock& clock,
                std::chrono::milliseconds retry_period) {
    // The first election step runs before the first tick, so a lone daemon acts as leader at once
    // (issues the first key) instead of following for its first round.
    service.set_leadership(elector.step());
    m_election = std::thread([this, &service, &elector, retry_period] {
      while (m_stop_election.wait_for(retry_period)) service.set_leadership(elector.step());
    });
    m_loop = std::thread([this, &service, &clock] {
      do {
        const auto wake = service.tick();
        // Wake at least every second so a leadership change is acted on promptly.
        const auto cap = clock.now() + std::chrono::seconds{1};
        if (!m_stop_loop.wait_until(std::min(wake, cap))) break;
      } while (true);
    });
  }
  DaemonThreads(const DaemonThreads&) = delete;
  DaemonThreads& operator=(const DaemonThreads&) = delete;
  ~DaemonThreads() = default;

  // The loop (the pass in progress ends after its current swarm), then the server, then the election.
  void stop(app::DaemonService& service, adapters::HttpServer& server) {
    m_stop_loop.stop();
    service.request_stop();
    server.stop();
    m_loop.join();
    m_stop_election.stop();
    m_election.join();
  }

 private:
  StopFlag m_stop_loop;
  StopFlag m_stop_election;
  std::thread m_election;
  std::thread m_loop;
};

// After the threads stopped: release the Lease unless the next image keeps it, and restart in place.
int finish(ports::LeaderElector& elector, Ending ending, const app::ConfigReloads& reloads) {
  const auto release = [&] {
    if (auto released = elector.release(); !released) spdlog::warn("daemon: {}", released.error().message);
  };
  if (!ending.keep_lease) release();
  if (ending.reexec) {
    restart_in_place(reloads);
    spdlog::error("daemon: restart after SIGHUP failed; exiting");
    if (ending.keep_lease) release();
    return k_exit_failure;
  }
  spdlog::info("daemon: stopped");
  return k_exit_ok;
}

// Everything from the prepared daemon to its end: the service, its server and threads.
int serve(PreparedDaemon& d, const sigset_t& signals, const DaemonFlags& flags, app::ConfigReloads& reloads) {
  Runtime& rt = *d.runtime;
  const config::Config& cfg = rt.config();
  ports::LeaderElector& elector = *d.elector;

  auto store_metrics = std::make_shared<app::StoreMetrics>(std::string(config::to_string(cfg.store.backend)));
  app::InstrumentedStore instrumented(rt.store(), *store_metrics);
  app::SerialisedStore store(instrumented);  // shared by the loop and the API's key reads

  app::DaemonOptions options;
  options.sync_interval = cfg.sync_interval;
  options.concurrency = cfg.concurrency;
  auto jitter = [&random = rt.random()] { return random.uniform(); };
  auto reconciler = std::make_unique<app::Reconciler>(
      app::Context{store, rt.audit(), rt.clock(), "keyd-daemon@" + elector.identity()}, std::move(d.swarms), options,
      jitter);
  app::KeyAccess keys{store, rt.audit(), {}};
  for (const auto& s : cfg.swarms) keys.swarms.push_back(app::KeyReaders{s.name, s.path, s.key_readers, s.operators});
  app::DaemonService service(std::move(reconciler), rt.clock(), std::move(keys));
  server::DaemonApi api(service, store_metrics, KEYD_VERSION);
  api.add_metrics([&reloads] { return server::render(reloads); });
  api.add_metrics([] {
    auto stats = adapters::read_process_stats();
    if (!stats) {
      spdlog::debug("metrics: no process_* families: {}", stats.error().message);
      return std::string();
    }
    return server::render(*stats);
  });

  auto server = adapters::start_http_server(d.http, api, d.authenticators);
  if (!server) return report_error(server.error());
  spdlog::info("daemon: {} swarm(s), store {}, leadership by {}, API on {}:{}", cfg.swarms.size(),
               rt.store().describe(), elector.describe(), d.http.host, (*server)->port());

  DaemonThreads threads(service, elector, rt.clock(), cfg.leader_election.retry_period);
  const Ending ending = wait_for_ending(signals, flags, d, (*server)->port(), reloads);
  threads.stop(service, **server);
  return finish(elector, ending, reloads);
}

}  // namespace

DaemonRunner::DaemonRunner(DaemonFlags flags) : m_flags(std::move(flags)) {}

int DaemonRunner::run() {
  const sigset_t signals = block_signals();
  app::ConfigReloads reloads(carried_reloads());
  auto config = load(m_flags.config);
  if (!config) return report_error(config.error());
  auto prepared = prepare_daemon(std::move(*config), m_flags.config, m_flags.listen);
  if (!prepared) return report_error(prepared.error());
  return serve(*prepared, signals, m_flags, reloads);
}

}  // namespace keyd::cli
