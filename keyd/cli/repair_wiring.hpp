// The store repair's wiring (part of wiring.cpp's job, and like it allowed to name concrete
// adapters): the configured backend → its StoreRepair, for the backends that offer one.
#pragma once

#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/store_repair.hpp"

#include <memory>

namespace keyd::cli {

// invalid_config for a backend without a repair (only the file store keeps records to rebuild from).
[[nodiscard]] Result<std::unique_ptr<ports::StoreRepair>> make_store_repair(const config::Config& config,
                                                                            const ports::Clock& clock);

}  // namespace keyd::cli
