#include "repair_wiring.hpp"

#include "keyd/adapters/file_store/file_store_repair.hpp"

#include <fmt/format.h>

namespace keyd::cli {

Result<std::unique_ptr<ports::StoreRepair>> make_store_repair(const config::Config& config, const ports::Clock& clock) {
  if (config.store.backend != config::StoreBackend::file) {
    return fail(ErrorCode::invalid_config,
                fmt::format("keyd store repair works on the file store only; this configuration uses the {} "
                            "backend, whose versions and metadata live in the server",
                            config::to_string(config.store.backend)));
  }
  const auto& file = config.store.file;
  return adapters::make_file_store_repair({file.dir, file.master_key_file, file.max_versions}, clock);
}

}  // namespace keyd::cli
