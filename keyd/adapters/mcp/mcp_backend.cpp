#include "keyd/adapters/mcp/mcp_backend.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace keyd::adapters {

Result<McpOptions> mcp_backend_options(const config::McpStoreConfig& cfg, const EnvLookup& env) {
  McpOptions options{cfg.command, {}, cfg.mount, cfg.timeout};
  for (const auto& [name, value] : cfg.env) options.environment.emplace_back(name, Secret::from_text(value));
  for (const auto& [name, file] : cfg.env_files) {
    KEYD_ASSIGN_OR_RETURN(Secret value, read_credential_file(file, "store.mcp.env_files." + name));
    options.environment.emplace_back(name, std::move(value));
  }
  for (const auto& name : cfg.inherit_env) {
    if (const auto value = env(name)) options.environment.emplace_back(name, Secret::from_text(*value));
  }
  return options;
}

Result<BuiltStore> make_mcp_backend(const config::McpStoreConfig& cfg, const EnvLookup& env) {
  KEYD_ASSIGN_OR_RETURN(McpOptions options, mcp_backend_options(cfg, env));
  spdlog::debug("mcp server {} (mount {}, timeout {} ms, environment: {} variable(s))",
                cfg.command.empty() ? std::string("(none)") : cfg.command.front(), cfg.mount, cfg.timeout.count(),
                options.environment.size());
  KEYD_ASSIGN_OR_RETURN(auto store, make_mcp_store(std::move(options)));
  return BuiltStore{nullptr, std::move(store)};
}

}  // namespace keyd::adapters
