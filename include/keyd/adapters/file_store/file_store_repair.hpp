// `keyd store repair` for the embedded file store: rebuild a path's authenticated metadata from the
// record files whose AES-256-GCM tag verifies under the master key (the AAD binds store path and
// version, so a verified `_v<N>.rec` is version N of this path). Deletes nothing.
#pragma once

#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/ports/store_repair.hpp"

#include <memory>

namespace keyd::adapters {

[[nodiscard]] Result<std::unique_ptr<ports::StoreRepair>> make_file_store_repair(FileStoreOptions options,
                                                                                 const ports::Clock& clock,
                                                                                 FileSystem& fs = posix_file_system());

}  // namespace keyd::adapters
