#include "keyd/adapters/file_store/file_backend.hpp"

namespace keyd::adapters {

FileStoreOptions file_backend_options(const config::FileStoreConfig& cfg) {
  return FileStoreOptions{cfg.dir, cfg.master_key_file, cfg.max_versions};
}

Result<BuiltStore> make_file_backend(const config::FileStoreConfig& cfg, const ports::Clock& clock) {
  KEYD_ASSIGN_OR_RETURN(auto store, make_file_store(file_backend_options(cfg), clock));
  return BuiltStore{nullptr, std::move(store)};
}

}  // namespace keyd::adapters
