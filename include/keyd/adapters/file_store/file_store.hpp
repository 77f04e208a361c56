// The embedded "file" backend: a versioned, encrypted (AES-256-GCM), crash-safe store that needs
// nothing installed. Semantics follow Vault KV v2 (versions, current_version, check-and-set,
// max_versions).
#pragma once

#include "keyd/adapters/os/fs.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/secret_store.hpp"

#include <filesystem>
#include <memory>

namespace keyd::adapters {

struct FileStoreOptions {
  std::filesystem::path dir;              // store root, e.g. .keyd/store
  std::filesystem::path master_key_file;  // empty: <dir>/master.key (created 0600 on first use)
  int max_versions = 10;                  // versions kept per path; older ones are pruned
};

// fs is used for every write step (tests inject failures); clock stamps created_time.
[[nodiscard]] Result<std::unique_ptr<ports::SecretStore>> make_file_store(
    FileStoreOptions options, const ports::Clock& clock, FileSystem& fs = posix_file_system());

}  // namespace keyd::adapters
