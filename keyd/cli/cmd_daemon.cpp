// keyd daemon: the reconciler loop, leader election and the HTTP API, until SIGTERM/SIGINT.
// Three threads: the main one waits for signals, one runs the reconciler, one the election; the
// HTTP server has its own pool. SIGHUP re-reads the config: an invalid one is logged and the
// running daemon carries on; a valid one restarts keyd in place (execv, same PID and identity).
#include "common.hpp"
#include "keyd/adapters/http_server.hpp"
#include "keyd/adapters/kube_auth.hpp"
#include "keyd/adapters/leader_election.hpp"
#include "keyd/app/daemon_service.hpp"
#include "kube_wiring.hpp"

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

bool uses_kubernetes(const config::Config& cfg) {
  if (!cfg.kubernetes.kubeconfig.empty() || std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return true;
  for (const auto& s : cfg.swarms) {
    for (const auto& t : s.targets) {
      if (t.type == "kubernetes") return true;
    }
  }
  return cfg.server.auth.tokenreview.enabled;
}

Result<std::vector<app::DaemonSwarm>> build_swarms(Wiring& w) {
  std::vector<app::DaemonSwarm> swarms;
  for (const auto& s : w.config.swarms) {
    KEYD_ASSIGN_OR_RETURN(app::Swarm swarm, build_swarm(s, w));
    domain::RotationPolicy policy;
    if (s.rotation) {
      policy.max_age = std::chrono::duration_cast<std::chrono::seconds>(s.rotation->max_age);
      if (!s.rotation->window.empty()) {
        KEYD_ASSIGN_OR_RETURN(policy.window, domain::RotationWindow::parse(s.rotation->window));
      }
    }
    swarms.push_back(app::DaemonSwarm{std::move(swarm), std::move(policy)});
  }
  return swarms;
}

// This process's command line, for the restart after SIGHUP.
std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return args;
}

int run_daemon(const DaemonFlags& flags) {
  // Signals go to the main thread only: block them before any other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string config_path = flags.swarm.config;
  auto loaded = load(config_path);
  if (!loaded) return report_error(loaded.error());
  if (loaded->store.backend == "daemon") {
    // The daemon backend reads from a keyd daemon's API: a daemon on it could never write a key.
    return report_error(Error{ErrorCode::invalid_config,
                              fmt::format("{}: store.backend 'daemon' is read-only (it reads another keyd daemon's "
                                          "API), so keyd daemon cannot run on it; use the vault, mcp or file backend",
                                          config_path)});
  }
  auto wired = wire(SwarmOptions{config_path, loaded->swarms.front().name}, Targets::skip);
  if (!wired) return report_error(wired.error());
  Wiring& w = **wired;
  w.on_store_login = {};  // the daemon audits as keyd-daemon@<identity>; its store logs in from several threads
  const config::Config& cfg = w.config;

  auto store_metrics = std::make_shared<app::StoreMetrics>(cfg.store.backend);
  app::InstrumentedStore instrumented(*w.store, *store_metrics);
  app::SerialisedStore store(instrumented);  // shared by the loop and the API's key reads
  auto swarms = build_swarms(w);
  if (!swarms) return report_error(swarms.error());

  std::shared_ptr<KubeResources> kube = w.kube;
  if (!kube && uses_kubernetes(cfg)) kube = std::make_shared<KubeResources>(cfg.kubernetes, w.clock);

  std::unique_ptr<ports::LeaderElector> elector;
  if (kube) {
    auto api = kube->api();
    if (!api) return report_error(api.error());
    adapters::LeaseOptions lease{
        cfg.leader_election.lease_namespace, cfg.leader_election.lease_name,     {},
        cfg.leader_election.lease_duration,  cfg.leader_election.renew_deadline, cfg.leader_election.retry_period};
    elector = adapters::make_lease_elector(lease, *api, w.clock);
  } else {
    elector = adapters::make_file_lock_elector(cfg.leader_election.lock_file, adapters::default_leader_identity());
  }

  std::vector<std::shared_ptr<ports::Authenticator>> authenticators;
  if (!cfg.server.auth.tokens_file.empty()) {
    auto tokens = adapters::make_tokens_file_authenticator(cfg.server.auth.tokens_file);
    if (!tokens) return report_error(tokens.error());
    authenticators.push_back(*tokens);
  }
  if (cfg.server.auth.tokenreview.enabled) {
    auto api = kube->api();
    if (!api) return report_error(api.error());
    const auto& tr = cfg.server.auth.tokenreview;
    adapters::TokenReviewOptions review{tr.audiences, tr.allowed_users, tr.cache_ttl,
                                        adapters::ReviewLimits{tr.cache_ttl, tr.negative_cache_ttl,
                                                               static_cast<std::size_t>(tr.cache_size),
                                                               tr.reviews_per_second, tr.burst}};
    authenticators.push_back(adapters::make_tokenreview_authenticator(review, *api, w.clock));
  }

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
                                        std::move(*swarms), options, jitter);
  app::KeyAccess keys{store, *w.audit, {}};
  for (const auto& s : cfg.swarms) keys.swarms.push_back(app::KeyReaders{s.name, s.path, s.key_readers, s.operators});
  app::DaemonService service(std::move(reconciler), store_metrics, w.clock, KEYD_VERSION, std::move(keys));

  auto listen = adapters::parse_listen_address(flags.listen.empty() ? cfg.server.listen : flags.listen);
  if (!listen) return report_error(listen.error());
  adapters::HttpServerOptions http;
  http.host = listen->first;
  http.port = listen->second;
  if (cfg.server.tls) {
    http.cert_file = cfg.server.tls->cert_file;
    http.key_file = cfg.server.tls->key_file;
  }
  http.max_body_bytes = static_cast<std::size_t>(cfg.server.max_body_bytes);
  http.threads = cfg.server.threads;
  http.max_connections = static_cast<std::size_t>(cfg.server.max_connections);
  http.timeout = cfg.server.timeout;
  auto server = adapters::start_http_server(http, service, authenticators);
  if (!server) return report_error(server.error());
  spdlog::info("daemon: {} swarm(s), store {}, leadership by {}, API on {}:{}", cfg.swarms.size(), w.store->describe(),
               elector->describe(), http.host, (*server)->port());

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
      auto fresh = config::load_config(config_path);
      if (!fresh) {
        spdlog::error("daemon: SIGHUP: the new configuration is invalid; keeping the running one:\n{}",
                      fresh.error().message);
        continue;
      }
      spdlog::info("daemon: SIGHUP: configuration {} is valid; restarting in place", config_path);
      reexec = true;
      // Same PID, so the same identity: the restarted daemon finds the Lease held by itself and
      // renews it, and no follower takes over for a reload. A different Lease (or none) is released.
      const auto& next = fresh->leader_election;
      keep_lease = kube && uses_kubernetes(*fresh) && next.lease_name == cfg.leader_election.lease_name &&
                   next.lease_namespace == cfg.leader_election.lease_namespace;
    } else {
      spdlog::info("daemon: {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    break;
  }
  stop_loop.stop();
  (*server)->stop();
  loop.join();
  stop_election.stop();
  election.join();
  const auto release = [&] {
    if (auto released = elector->release(); !released) spdlog::warn("daemon: {}", released.error().message);
  };
  if (!keep_lease) release();
  if (reexec) {
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    std::vector<std::string> args = own_argv();
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
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
