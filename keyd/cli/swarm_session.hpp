// What a command on one configured swarm works with: the configuration loaded once, the swarm
// selected, the runtime built from the configuration and (unless skipped) the swarm's targets.
#pragma once

#include "options.hpp"
#include "runtime.hpp"

#include <functional>
#include <memory>

namespace keyd::cli {

struct SwarmSession {
  std::unique_ptr<Runtime> runtime;
  app::Swarm swarm;  // destroyed first: its targets use the runtime

  [[nodiscard]] app::Context& context() { return runtime->context(); }
};

enum class Targets { build, skip };

// A change a command makes to the loaded configuration before anything is built from it (e.g. the
// agent's --timeout capping the store's timeouts).
using ConfigAdjust = std::function<void(config::Config&)>;

// Reading commands skip the targets: they need no target credentials (a kubeconfig).
[[nodiscard]] Result<SwarmSession> open_swarm(const SwarmOptions& options, Targets targets = Targets::build,
                                              Actor actor = Actor{os_actor(), StoreLogin::appended},
                                              const ConfigAdjust& adjust = {});

}  // namespace keyd::cli
