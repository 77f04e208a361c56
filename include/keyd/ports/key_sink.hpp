// KeySink: where `keyd agent` puts the swarm key for a local consumer (Kubo reads
// $IPFS_PATH/swarm.key). Unlike a Target, a sink says what it holds, so the agent can tell
// "created" from "replaced a key someone may have read" and run its on-change action only then.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/target.hpp"

#include <string>

namespace keyd::ports {

struct SinkState {
  std::string fingerprint;  // Kubo fingerprint of the key the sink holds; empty: none, or not a valid key
  bool exact = false;       // the holder looks exactly as configured (mode, owner)
};

class KeySink {
 public:
  virtual ~KeySink() = default;
  // e.g. "file /data/ipfs/swarm.key (0600, owner 1000:1000)"; used in messages and audit entries.
  [[nodiscard]] virtual std::string describe() const = 0;
  // What the sink holds now. A missing holder is an empty state, not an error.
  [[nodiscard]] virtual Result<SinkState> inspect() const = 0;
  // Replace what the sink holds, atomically: a reader sees the old key or the new one, never a mix.
  [[nodiscard]] virtual Status write(const Delivery& delivery) = 0;
};

}  // namespace keyd::ports
