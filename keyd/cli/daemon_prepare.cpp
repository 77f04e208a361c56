#include "daemon_prepare.hpp"

#include "keyd/adapters/http/http_preflight.hpp"
#include "keyd/adapters/kube/kube_auth.hpp"
#include "keyd/adapters/election/leader_election.hpp"

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::cli {

namespace {

bool uses_kubernetes(const config::Config& cfg) {
  if (!cfg.kubernetes.kubeconfig.empty() || std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return true;
  for (const auto& s : cfg.swarms) {
    for (const auto& t : s.targets) {
      if (t.type == config::TargetType::kubernetes) return true;
    }
  }
  return cfg.server.auth.tokenreview.enabled;
}

Result<std::vector<app::DaemonSwarm>> build_swarms(Runtime& runtime) {
  std::vector<app::DaemonSwarm> swarms;
  for (const auto& s : runtime.config().swarms) {
    KEYD_ASSIGN_OR_RETURN(app::Swarm swarm, build_swarm(s, runtime));
    domain::RotationPolicy policy;
    if (s.rotation) {
      policy.max_age = std::chrono::duration_cast<std::chrono::seconds>(s.rotation->max_age);
      policy.window = s.rotation->window;  // parsed once, by the config
    }
    swarms.push_back(app::DaemonSwarm{std::move(swarm), std::move(policy)});
  }
  return swarms;
}

Result<std::unique_ptr<ports::LeaderElector>> make_elector(const config::Config& cfg, KubeResources* kube,
                                                           const ports::Clock& clock) {
  if (kube == nullptr) {
    return adapters::make_file_lock_elector(cfg.leader_election.lock_file, adapters::default_leader_identity());
  }
  KEYD_ASSIGN_OR_RETURN(auto api, kube->api());
  const auto& le = cfg.leader_election;
  adapters::LeaseOptions lease{le.lease_namespace, le.lease_name,     {},
                               le.lease_duration,  le.renew_deadline, le.retry_period};
  auto elector = adapters::make_lease_elector(lease, std::move(api), clock);
  // Never silent about where leadership lives: a lock file that goes unused, a namespace not chosen.
  if (le.lock_file_set) {
    spdlog::warn("{}: leader_election.lock_file ({}) is not used: this daemon uses Kubernetes (a kubeconfig, "
                 "a kubernetes target, TokenReview or running in a pod), so it leads through {}",
                 cfg.source, le.lock_file, elector->describe());
  }
  if (le.lease_namespace.empty()) {
    spdlog::info("{}: leader_election.lease_namespace is not set; leading through {}, in the Kubernetes "
                 "connection's namespace (the kubeconfig context's, or the pod's)",
                 cfg.source, elector->describe());
  }
  return elector;
}

Result<std::vector<std::shared_ptr<ports::Authenticator>>> make_authenticators(const config::Config& cfg,
                                                                               KubeResources* kube,
                                                                               const ports::Clock& clock) {
  std::vector<std::shared_ptr<ports::Authenticator>> authenticators;
  if (!cfg.server.auth.tokens_file.empty()) {
    KEYD_ASSIGN_OR_RETURN(auto tokens, adapters::make_tokens_file_authenticator(cfg.server.auth.tokens_file));
    authenticators.push_back(std::move(tokens));
  }
  if (cfg.server.auth.tokenreview.enabled) {
    KEYD_ASSIGN_OR_RETURN(auto api, kube->api());  // tokenreview.enabled implies kube (uses_kubernetes)
    const auto& tr = cfg.server.auth.tokenreview;
    adapters::TokenReviewOptions review{
        tr.audiences, tr.allowed_users, tr.cache_ttl,
        adapters::ReviewLimits{tr.cache_ttl, tr.negative_cache_ttl, static_cast<std::size_t>(tr.cache_size),
                               tr.reviews_per_second, tr.burst}};
    authenticators.push_back(adapters::make_tokenreview_authenticator(review, std::move(api), clock));
  }
  return authenticators;
}

Result<adapters::HttpServerOptions> http_options(const config::Config& cfg, const std::string& listen_flag,
                                                 const std::optional<RunningListen>& running) {
  const std::string& listen_text = listen_flag.empty() ? cfg.server.listen : listen_flag;
  KEYD_ASSIGN_OR_RETURN(auto listen, adapters::parse_listen_address(listen_text));
  adapters::HttpServerOptions http;
  http.host = listen.first;
  http.port = listen.second;
  if (cfg.server.tls) {
    http.cert_file = cfg.server.tls->cert_file;
    http.key_file = cfg.server.tls->key_file;
    KEYD_TRY(adapters::check_tls_files(http.cert_file, http.key_file));
  }
  http.max_body_bytes = static_cast<std::size_t>(cfg.server.max_body_bytes);
  http.threads = cfg.server.threads;
  http.max_connections = static_cast<std::size_t>(cfg.server.max_connections);
  http.timeout = cfg.server.timeout;
  // The port this daemon holds is free for its next image (on any host); another address must be free now.
  const bool held = running && (http.port == running->bound_port ||
                                (http.port == running->configured_port && http.host == running->host));
  if (running && !held) KEYD_TRY(adapters::check_can_listen(http.host, http.port));
  return http;
}

}  // namespace

Result<PreparedDaemon> prepare_daemon(config::Config config, const std::string& config_path, const std::string& listen,
                                      const std::optional<RunningListen>& running) {
  if (config.store.backend == config::StoreBackend::daemon) {
    // The daemon backend reads from a keyd daemon's API: a daemon on it could never write a key.
    return fail(ErrorCode::invalid_config,
                fmt::format("{}: store.backend 'daemon' is read-only (it reads another keyd daemon's API), so keyd "
                            "daemon cannot run on it; use the vault, mcp or file backend",
                            config_path));
  }
  PreparedDaemon d;
  // The daemon audits as keyd-daemon@<identity>; its store logs in from several threads.
  KEYD_ASSIGN_OR_RETURN(d.runtime, Runtime::make(std::move(config), Actor{os_actor(), StoreLogin::ignored}));
  Runtime& rt = *d.runtime;
  KEYD_ASSIGN_OR_RETURN(d.swarms, build_swarms(rt));
  if (uses_kubernetes(rt.config())) d.kube = &rt.kube();
  KEYD_ASSIGN_OR_RETURN(d.elector, make_elector(rt.config(), d.kube, rt.clock()));
  KEYD_ASSIGN_OR_RETURN(d.authenticators, make_authenticators(rt.config(), d.kube, rt.clock()));
  KEYD_ASSIGN_OR_RETURN(d.http, http_options(rt.config(), listen, running));
  return d;
}

bool same_lease(const PreparedDaemon& running, const PreparedDaemon& next) {
  const auto& now = running.runtime->config().leader_election;
  const auto& then = next.runtime->config().leader_election;
  return running.kube && next.kube && now.lease_name == then.lease_name && now.lease_namespace == then.lease_namespace;
}

}  // namespace keyd::cli
