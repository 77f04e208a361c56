// The file backend's home: store.file → the encrypted file store (no transport).
#pragma once

#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/adapters/backend/store_backend.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"

namespace keyd::adapters {

[[nodiscard]] FileStoreOptions file_backend_options(const config::FileStoreConfig& cfg);

[[nodiscard]] Result<BuiltStore> make_file_backend(const config::FileStoreConfig& cfg, const ports::Clock& clock);

}  // namespace keyd::adapters
