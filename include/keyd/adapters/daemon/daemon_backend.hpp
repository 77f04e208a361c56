// The daemon backend's home: store.daemon (+ the swarms' path → name map) → a curl transport with
// the daemon's CA → the read-only store.
#pragma once

#include "keyd/adapters/daemon/daemon_store.hpp"
#include "keyd/adapters/backend/store_backend.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/random.hpp"

#include <vector>

namespace keyd::adapters {

// The store's options: the daemon addresses swarms by name, the store port by path.
[[nodiscard]] DaemonStoreOptions daemon_backend_options(const config::DaemonStoreConfig& cfg,
                                                        const std::vector<config::SwarmConfig>& swarms);

// make_daemon_store checks the URL and the token file setting. `random` (the jitter of the
// retries) must outlive the store.
[[nodiscard]] Result<BuiltStore> make_daemon_backend(const config::DaemonStoreConfig& cfg,
                                                     const std::vector<config::SwarmConfig>& swarms,
                                                     const ports::Clock& clock, ports::Random& random);

}  // namespace keyd::adapters
