// The "file" target: writes the canonical key file atomically with mode 0600, typically at
// $IPFS_PATH/swarm.key; does nothing when the file already holds a key with the same fingerprint.
#pragma once

#include "keyd/adapters/os/fs.hpp"
#include "keyd/ports/target.hpp"

#include <filesystem>
#include <memory>

namespace keyd::adapters {

[[nodiscard]] std::unique_ptr<ports::Target> make_file_target(std::filesystem::path path,
                                                              FileSystem& fs = posix_file_system());

}  // namespace keyd::adapters
