// The mcp backend's home: store.mcp → the child's command and environment → the store.
#pragma once

#include "keyd/adapters/mcp/mcp_store.hpp"
#include "keyd/adapters/backend/store_backend.hpp"
#include "keyd/config/config.hpp"

namespace keyd::adapters {

// The child's environment is exactly env + env_files (read now: a missing file stops before
// anything starts) + the inherit_env variables `env` has. invalid_config naming the file
// ("store.mcp.env_files.<NAME> <path>: not found") when one cannot be read.
[[nodiscard]] Result<McpOptions> mcp_backend_options(const config::McpStoreConfig& cfg, const EnvLookup& env);

// The options above and the store (make_mcp_store checks the command and mount). No transport.
[[nodiscard]] Result<BuiltStore> make_mcp_backend(const config::McpStoreConfig& cfg, const EnvLookup& env);

}  // namespace keyd::adapters
