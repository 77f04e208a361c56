// Part of the composition root (runtime.hpp names it), the only cli code naming concrete adapters:
// config → store, targets. Each store backend's home (include/keyd/adapters/<folder>/*_backend.hpp)
// turns its config section into the store; the tables here only map a backend or target type to it.
#include "wiring.hpp"

#include "kube_wiring.hpp"
#include "runtime.hpp"

#include "keyd/adapters/daemon/daemon_backend.hpp"
#include "keyd/adapters/file_store/file_backend.hpp"
#include "keyd/adapters/file_target/file_target.hpp"
#include "keyd/adapters/mcp/mcp_backend.hpp"
#include "keyd/adapters/vault/vault_backend.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>

namespace keyd::cli {

namespace {

using StoreFactory = Result<BuiltStore> (*)(const config::Config&, const ports::Clock&, ports::Random&,
                                            const LoginObserver&);
// A target factory may make on the runtime what its targets share and need to outlive them.
using TargetFactory = Result<std::unique_ptr<ports::Target>> (*)(const config::TargetConfig&, Runtime&);

Result<BuiltStore> make_file_backend(const config::Config& cfg, const ports::Clock& clock, ports::Random&,
                                     const LoginObserver&) {
  return adapters::make_file_backend(cfg.store.file, clock);
}

Result<BuiltStore> make_vault_backend(const config::Config& cfg, const ports::Clock& clock, ports::Random& random,
                                      const LoginObserver& observer) {
  return adapters::make_vault_backend(cfg.store.vault, adapters::process_env_lookup(), clock, random, observer);
}

Result<BuiltStore> make_mcp_backend(const config::Config& cfg, const ports::Clock&, ports::Random&,
                                    const LoginObserver&) {
  return adapters::make_mcp_backend(cfg.store.mcp, adapters::process_env_lookup());
}

// Read-only: the keyd daemon's API, addressed by swarm name (the config maps store paths to names).
Result<BuiltStore> make_daemon_backend(const config::Config& cfg, const ports::Clock& clock, ports::Random& random,
                                       const LoginObserver&) {
  return adapters::make_daemon_backend(cfg.store.daemon, cfg.swarms, clock, random);
}

Result<std::unique_ptr<ports::Target>> make_file(const config::TargetConfig& t, Runtime&) {
  return adapters::make_file_target(t.path);
}

// One connection and API client for all kubernetes targets, made with the first of them.
Result<std::unique_ptr<ports::Target>> make_kubernetes(const config::TargetConfig& t, Runtime& runtime) {
  return build_kubernetes_target(t, runtime.kube(), runtime.clock(), runtime.progress());
}

// One explicit table per port: backend → factory.
const std::map<config::StoreBackend, StoreFactory> k_store_factories{{config::StoreBackend::file, &make_file_backend},
                                                                     {config::StoreBackend::vault, &make_vault_backend},
                                                                     {config::StoreBackend::mcp, &make_mcp_backend},
                                                                     {config::StoreBackend::daemon, &make_daemon_backend}};
const std::map<config::TargetType, TargetFactory> k_target_factories{{config::TargetType::file, &make_file},
                                                                     {config::TargetType::kubernetes, &make_kubernetes}};

}  // namespace

Result<BuiltStore> make_store(const config::Config& config, const ports::Clock& clock, ports::Random& random,
                              const LoginObserver& observer) {
  const auto factory = k_store_factories.find(config.store.backend);
  if (factory == k_store_factories.end()) {
    return fail(ErrorCode::invalid_config,
                fmt::format("store backend '{}' is not available", config::to_string(config.store.backend)));
  }
  return factory->second(config, clock, random, observer);
}

Result<app::Swarm> build_swarm(const config::SwarmConfig& swarm, Runtime& runtime) {
  app::Swarm built{swarm.name, swarm.path, {}};
  for (const auto& t : swarm.targets) {
    const auto factory = k_target_factories.find(t.type);
    if (factory == k_target_factories.end()) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("target type '{}' is not available", config::to_string(t.type)));
    }
    KEYD_ASSIGN_OR_RETURN(auto target, factory->second(t, runtime));
    built.targets.push_back(std::move(target));
  }
  return built;
}

}  // namespace keyd::cli
