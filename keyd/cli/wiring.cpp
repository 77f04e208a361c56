// With runtime.cpp, the only place that names concrete adapters: config → store, targets.
#include "wiring.hpp"

#include "kube_wiring.hpp"
#include "runtime.hpp"
#include "vault_env.hpp"

#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/adapters/daemon_store.hpp"
#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/adapters/file_target.hpp"
#include "keyd/adapters/mcp_store.hpp"
#include "keyd/adapters/vault_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <map>

namespace keyd::cli {

namespace {

using StoreFactory = Result<BuiltStore> (*)(const config::Config&, const ports::Clock&, const LoginObserver&);
// A target factory may make on the runtime what its targets share and need to outlive them.
using TargetFactory = Result<std::unique_ptr<ports::Target>> (*)(const config::TargetConfig&, Runtime&);

Result<BuiltStore> make_file_backend(const config::Config& cfg, const ports::Clock& clock, const LoginObserver&) {
  adapters::FileStoreOptions options{cfg.store.file.dir, cfg.store.file.master_key_file, cfg.store.file.max_versions};
  KEYD_ASSIGN_OR_RETURN(auto store, adapters::make_file_store(std::move(options), clock));
  return BuiltStore{nullptr, std::move(store)};
}

Result<BuiltStore> make_vault_backend(const config::Config& cfg, const ports::Clock& clock,
                                      const LoginObserver& observer) {
  KEYD_ASSIGN_OR_RETURN(VaultSettings settings, vault_settings(cfg.store.vault, process_environment()));
  settings.options.auth.on_login = [observer](const adapters::VaultIdentity& identity) {
    observer(adapters::describe_vault_identity(identity));
  };
  KEYD_TRY(adapters::check_vault_address(settings.options.address, settings.allow_insecure_http));
  spdlog::debug("vault {} mount {}{}, auth {}, tls ca {}{}", settings.options.address, settings.options.mount,
                settings.options.namespace_name.empty() ? "" : ", namespace " + settings.options.namespace_name,
                settings.options.auth.method, settings.tls.ca_file.empty() ? "(system)" : settings.tls.ca_file,
                settings.tls.client_cert_file.empty() ? "" : ", client certificate " + settings.tls.client_cert_file);
  BuiltStore built;
  KEYD_ASSIGN_OR_RETURN(built.transport, adapters::make_curl_transport(std::move(settings.tls)));
  KEYD_ASSIGN_OR_RETURN(built.store, adapters::make_vault_store(std::move(settings.options), *built.transport, clock));
  return built;
}

// The child's environment is exactly env + env_files (read now: a missing file stops before
// anything starts) + the inherit_env variables keyd has.
Result<BuiltStore> make_mcp_backend(const config::Config& cfg, const ports::Clock&, const LoginObserver&) {
  const config::McpStoreConfig& mcp = cfg.store.mcp;
  adapters::McpOptions options{mcp.command, {}, mcp.mount, mcp.timeout};
  for (const auto& [name, value] : mcp.env) options.environment.emplace_back(name, Secret::from_text(value));
  for (const auto& [name, file] : mcp.env_files) {
    KEYD_ASSIGN_OR_RETURN(Secret value, read_credential_file(file, "store.mcp.env_files." + name));
    options.environment.emplace_back(name, std::move(value));
  }
  const auto env = process_environment();
  for (const auto& name : mcp.inherit_env) {
    if (const auto value = env(name)) options.environment.emplace_back(name, Secret::from_text(*value));
  }
  spdlog::debug("mcp server {} (mount {}, timeout {} ms, environment: {} variable(s))",
                mcp.command.empty() ? std::string("(none)") : mcp.command.front(), mcp.mount, mcp.timeout.count(),
                options.environment.size());
  KEYD_ASSIGN_OR_RETURN(auto store, adapters::make_mcp_store(std::move(options)));
  return BuiltStore{nullptr, std::move(store)};
}

// Read-only: the keyd daemon's API, addressed by swarm name (the config maps store paths to names).
Result<BuiltStore> make_daemon_backend(const config::Config& cfg, const ports::Clock& clock, const LoginObserver&) {
  const config::DaemonStoreConfig& d = cfg.store.daemon;
  adapters::DaemonStoreOptions options;
  options.url = d.url;
  options.token_file = d.token_file;
  options.timeout = d.timeout;
  options.max_attempts = d.max_attempts;
  for (const auto& swarm : cfg.swarms) options.swarms.emplace(swarm.path, swarm.name);
  spdlog::debug("keyd daemon {} (token file {}, tls ca {}, timeout {} ms)", d.url, d.token_file,
                d.ca_file.empty() ? "(system)" : d.ca_file, d.timeout.count());
  ports::TlsOptions tls;
  tls.ca_file = d.ca_file;
  BuiltStore built;
  KEYD_ASSIGN_OR_RETURN(built.transport, adapters::make_curl_transport(std::move(tls)));
  KEYD_ASSIGN_OR_RETURN(built.store, adapters::make_daemon_store(std::move(options), *built.transport, clock));
  return built;
}

Result<std::unique_ptr<ports::Target>> make_file(const config::TargetConfig& t, Runtime&) {
  return adapters::make_file_target(t.path);
}

// One connection and API client for all kubernetes targets, made with the first of them.
Result<std::unique_ptr<ports::Target>> make_kubernetes(const config::TargetConfig& t, Runtime& runtime) {
  return build_kubernetes_target(t, runtime.kube(), runtime.clock(), runtime.progress());
}

// One explicit table per port: backend name → factory.
const std::map<std::string, StoreFactory, std::less<>> k_store_factories{{"file", &make_file_backend},
                                                                         {"vault", &make_vault_backend},
                                                                         {"mcp", &make_mcp_backend},
                                                                         {"daemon", &make_daemon_backend}};
const std::map<std::string, TargetFactory, std::less<>> k_target_factories{{"file", &make_file},
                                                                           {"kubernetes", &make_kubernetes}};

}  // namespace

Result<BuiltStore> make_store(const config::Config& config, const ports::Clock& clock, const LoginObserver& observer) {
  const auto factory = k_store_factories.find(config.store.backend);
  if (factory == k_store_factories.end()) {
    return fail(ErrorCode::invalid_config, fmt::format("store backend '{}' is not available", config.store.backend));
  }
  return factory->second(config, clock, observer);
}

Result<app::Swarm> build_swarm(const config::SwarmConfig& swarm, Runtime& runtime) {
  app::Swarm built{swarm.name, swarm.path, {}};
  for (const auto& t : swarm.targets) {
    const auto factory = k_target_factories.find(t.type);
    if (factory == k_target_factories.end()) {
      return fail(ErrorCode::invalid_config, fmt::format("target type '{}' is not available", t.type));
    }
    KEYD_ASSIGN_OR_RETURN(auto target, factory->second(t, runtime));
    built.targets.push_back(std::move(target));
  }
  return built;
}

}  // namespace keyd::cli
