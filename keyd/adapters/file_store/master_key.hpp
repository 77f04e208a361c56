// The file store's master key: 32 random bytes in a file of its own (default <store dir>/master.key).
// Created on first write, atomically and with mode 0600. A key file that group or others can
// access is refused (invalid_config), as ssh refuses a private key with loose permissions.
#pragma once

#include "keyd/adapters/os/fs.hpp"
#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <filesystem>

namespace keyd::adapters::detail {

// The master key file: the configured one, else <store dir>/master.key.
[[nodiscard]] inline std::filesystem::path master_key_path(const std::filesystem::path& store_dir,
                                                           const std::filesystem::path& configured) {
  return configured.empty() ? store_dir / "master.key" : configured;
}

// not_found when the file does not exist; invalid_config for loose permissions, a non-regular
// file or a size other than 32 bytes; io otherwise.
[[nodiscard]] Result<Secret> load_master_key(const std::filesystem::path& file);

// Load the key, or create it when missing. Creation is serialised by flock on "<file>.lock" and
// done with atomic_write_file through `fs`, so racing processes all end up with the same key and
// no reader ever sees a partial key file.
[[nodiscard]] Result<Secret> load_or_create_master_key(const std::filesystem::path& file, FileSystem& fs);

}  // namespace keyd::adapters::detail
