// The agent's file sink: the key file a local consumer reads (Kubo: $IPFS_PATH/swarm.key),
// written atomically (temp file with the final mode and owner + fsync + rename + directory fsync),
// mode 0600, owned by a chosen uid/gid (Kubo's image runs as 1000:1000).
#pragma once

#include "keyd/adapters/os/fs.hpp"
#include "keyd/ports/key_sink.hpp"

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>

namespace keyd::adapters {

struct FileSinkOptions {
  std::filesystem::path path;
  std::optional<uid_t> uid;  // unset: whoever keyd runs as
  std::optional<gid_t> gid;
  mode_t mode = 0600;
};

// Missing parent directories are created with mode 0700 and given the same owner, so the consumer
// can reach the file. Changing the owner needs root (or CAP_CHOWN); without it write() fails
// naming the path and the errno text.
[[nodiscard]] std::unique_ptr<ports::KeySink> make_file_sink(FileSinkOptions options,
                                                             FileSystem& fs = posix_file_system());

}  // namespace keyd::adapters
