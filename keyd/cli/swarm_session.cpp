#include "swarm_session.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace keyd::cli {

Result<SwarmSession> open_swarm(const SwarmOptions& options, Targets targets, Actor actor, const ConfigAdjust& adjust) {
  KEYD_ASSIGN_OR_RETURN(config::Config config, load(options.config));
  if (adjust) adjust(config);
  KEYD_ASSIGN_OR_RETURN(const config::SwarmConfig* selected, config::select_swarm(config, options.swarm));
  const config::SwarmConfig swarm = *selected;
  SwarmSession session;
  KEYD_ASSIGN_OR_RETURN(session.runtime, Runtime::make(std::move(config), std::move(actor)));
  if (targets == Targets::skip) {
    session.swarm = app::Swarm{swarm.name, swarm.path, {}};
    return session;
  }
  KEYD_ASSIGN_OR_RETURN(session.swarm, build_swarm(swarm, *session.runtime));
  spdlog::debug("swarm {}: {} at {}, {} target(s)", session.swarm.name, session.runtime->store().describe(),
                session.swarm.path, session.swarm.targets.size());
  return session;
}

}  // namespace keyd::cli
