#include "keyd/adapters/daemon/daemon_backend.hpp"

#include "keyd/adapters/curl/curl_transport.hpp"

#include <spdlog/spdlog.h>

namespace keyd::adapters {

DaemonStoreOptions daemon_backend_options(const config::DaemonStoreConfig& cfg,
                                          const std::vector<config::SwarmConfig>& swarms) {
  DaemonStoreOptions options;
  options.url = cfg.url;
  options.token_file = cfg.token_file;
  options.timeout = cfg.timeout;
  options.max_attempts = cfg.max_attempts;
  for (const auto& swarm : swarms) options.swarms.emplace(swarm.path, swarm.name);
  return options;
}

Result<BuiltStore> make_daemon_backend(const config::DaemonStoreConfig& cfg,
                                       const std::vector<config::SwarmConfig>& swarms, const ports::Clock& clock,
                                       ports::Random& random) {
  spdlog::debug("keyd daemon {} (token file {}, tls ca {}, timeout {} ms)", cfg.url, cfg.token_file,
                cfg.ca_file.empty() ? "(system)" : cfg.ca_file, cfg.timeout.count());
  ports::TlsOptions tls;
  tls.ca_file = cfg.ca_file;
  BuiltStore built;
  KEYD_ASSIGN_OR_RETURN(built.transport, make_curl_transport(std::move(tls)));
  KEYD_ASSIGN_OR_RETURN(built.store,
                        make_daemon_store(daemon_backend_options(cfg, swarms), *built.transport, clock, random));
  return built;
}

}  // namespace keyd::adapters
