// keyd store repair: the deliberate recovery of a swarm's store path whose metadata is gone.
#pragma once

#include "keyd/app/use_cases.hpp"
#include "keyd/ports/store_repair.hpp"

namespace keyd::app {

// Rebuild the metadata of swarm.path with `repair` (which deletes nothing), then read the current
// version back through ctx.store to prove the path opens again. Audited as "repair" with the
// current version and its fingerprint, success or failure.
[[nodiscard]] Result<ports::RepairReport> repair_store(Context& ctx, const Swarm& swarm, ports::StoreRepair& repair);

}  // namespace keyd::app
