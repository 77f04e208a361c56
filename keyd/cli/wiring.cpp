// The only place that names concrete adapters: config → store, audit log, targets.
#include "common.hpp"
#include "kube_wiring.hpp"
#include "progress.hpp"

#include "keyd/adapters/audit_file.hpp"
#include "keyd/adapters/daemon_backend.hpp"
#include "keyd/adapters/file_backend.hpp"
#include "keyd/adapters/file_target.hpp"
#include "keyd/adapters/mcp_backend.hpp"
#include "keyd/adapters/vault_backend.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <map>

namespace keyd::cli {

namespace {

// Each backend's home (keyd/adapters/*_backend.hpp) turns its config section into the store.
using adapters::BuiltStore;
using adapters::LoginObserver;
using StoreFactory = Result<BuiltStore> (*)(const config::Config&, const ports::Clock&, const LoginObserver&);
// A target factory may add to the wiring what its targets share and need to outlive them.
using TargetFactory = Result<std::unique_ptr<ports::Target>> (*)(const config::TargetConfig&, Wiring&);

Result<BuiltStore> make_file_backend(const config::Config& cfg, const ports::Clock& clock, const LoginObserver&) {
  return adapters::make_file_backend(cfg.store.file, clock);
}

Result<BuiltStore> make_vault_backend(const config::Config& cfg, const ports::Clock& clock,
                                      const LoginObserver& observer) {
  return adapters::make_vault_backend(cfg.store.vault, adapters::process_env_lookup(), clock, observer);
}

Result<BuiltStore> make_mcp_backend(const config::Config& cfg, const ports::Clock&, const LoginObserver&) {
  return adapters::make_mcp_backend(cfg.store.mcp, adapters::process_env_lookup());
}

// Read-only: the keyd daemon's API, addressed by swarm name (the config maps store paths to names).
Result<BuiltStore> make_daemon_backend(const config::Config& cfg, const ports::Clock& clock, const LoginObserver&) {
  return adapters::make_daemon_backend(cfg.store.daemon, cfg.swarms, clock);
}

Result<std::unique_ptr<ports::Target>> make_file(const config::TargetConfig& t, Wiring&) {
  return adapters::make_file_target(t.path);
}

// One connection and API client for all kubernetes targets, made with the first of them.
Result<std::unique_ptr<ports::Target>> make_kubernetes(const config::TargetConfig& t, Wiring& w) {
  if (!w.kube) w.kube = std::make_shared<KubeResources>(w.config.kubernetes, w.clock);
  if (!w.progress) w.progress = make_progress();
  return build_kubernetes_target(t, *w.kube, w.clock, *w.progress);
}

// One explicit table per port: backend name → factory.
const std::map<std::string, StoreFactory, std::less<>> k_store_factories{{"file", &make_file_backend},
                                                                         {"vault", &make_vault_backend},
                                                                         {"mcp", &make_mcp_backend},
                                                                         {"daemon", &make_daemon_backend}};
const std::map<std::string, TargetFactory, std::less<>> k_target_factories{{"file", &make_file},
                                                                           {"kubernetes", &make_kubernetes}};

}  // namespace

std::string os_actor() {
  const uid_t uid = geteuid();
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->pw_name;
  return fmt::format("uid:{}", uid);
}

Result<config::Config> load(const std::string& config_path) {
  if (config_path.empty()) {
    return fail(ErrorCode::invalid_config, "no configuration: pass --config FILE or set KEYD_CONFIG");
  }
  auto cfg = config::load_config(config_path);
  if (cfg) spdlog::debug("loaded config {} ({} swarm(s))", config_path, cfg->swarms.size());
  return cfg;
}

Result<std::unique_ptr<Wiring>> wire(const SwarmOptions& options, Targets targets) {
  auto w = std::make_unique<Wiring>();
  KEYD_ASSIGN_OR_RETURN(w->config, load(options.config));
  KEYD_ASSIGN_OR_RETURN(const config::SwarmConfig* swarm, config::select_swarm(w->config, options.swarm));

  const auto store_factory = k_store_factories.find(config::to_string(w->config.store.backend));
  if (store_factory == k_store_factories.end()) {
    return fail(ErrorCode::invalid_config, fmt::format("store backend '{}' is not available", config::to_string(w->config.store.backend)));
  }
  // The store logs in lazily, after wire() returned: the observer looks up the hook at that time.
  const LoginObserver observer = [raw = w.get()](std::string_view identity) {
    if (raw->on_store_login) raw->on_store_login(identity);
  };
  KEYD_ASSIGN_OR_RETURN(BuiltStore built, store_factory->second(w->config, w->clock, observer));
  w->transport = std::move(built.transport);
  w->store = std::move(built.store);
  w->audit = adapters::make_audit_file(w->config.audit.file);
  w->context = std::make_unique<app::Context>(app::Context{*w->store, *w->audit, w->clock, os_actor()});
  // Single-threaded commands audit who the store says they are once it logged in (a CronJob's
  // `keyd rotate` with Vault Kubernetes auth: "root vault:kubernetes/keyd sa=ipfs-system/keyd …").
  // keyd agent puts its host in front; keyd daemon, whose store is shared by threads, clears it.
  w->on_store_login = [raw = w.get(), base = os_actor()](std::string_view identity) {
    raw->context->actor = fmt::format("{} {}", base, identity);
  };

  w->swarm.name = swarm->name;
  w->swarm.path = swarm->path;
  // Reading commands never touch targets, so they need no target credentials (a kubeconfig).
  if (targets == Targets::skip) return w;
  for (const auto& t : swarm->targets) {
    const auto factory = k_target_factories.find(config::to_string(t.type));
    if (factory == k_target_factories.end()) {
      return fail(ErrorCode::invalid_config, fmt::format("target type '{}' is not available", config::to_string(t.type)));
    }
    KEYD_ASSIGN_OR_RETURN(auto target, factory->second(t, *w));
    w->swarm.targets.push_back(std::move(target));
  }
  spdlog::debug("swarm {}: {} at {}, {} target(s)", w->swarm.name, w->store->describe(), w->swarm.path,
                w->swarm.targets.size());
  return w;
}

Result<app::Swarm> build_swarm(const config::SwarmConfig& swarm, Wiring& w) {
  app::Swarm built{swarm.name, swarm.path, {}};
  for (const auto& t : swarm.targets) {
    const auto factory = k_target_factories.find(config::to_string(t.type));
    if (factory == k_target_factories.end()) {
      return fail(ErrorCode::invalid_config, fmt::format("target type '{}' is not available", config::to_string(t.type)));
    }
    KEYD_ASSIGN_OR_RETURN(auto target, factory->second(t, w));
    built.targets.push_back(std::move(target));
  }
  return built;
}

}  // namespace keyd::cli
