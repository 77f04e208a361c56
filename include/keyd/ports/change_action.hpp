// ChangeAction: what `keyd agent` does after it replaced the key in its sink, so that the consumer
// (Kubo reads swarm.key only at start) picks the new key up: exit, run a command, or signal a process.
#pragma once

#include "keyd/common/result.hpp"

#include <string>
#include <string_view>

namespace keyd::ports {

// What changed. Never key material: an action learns the fingerprint, not the key.
struct KeyChange {
  std::string_view swarm;
  std::string_view sink;  // KeySink::describe()
  int version = 0;
  std::string_view fingerprint;
  std::string_view previous_fingerprint;
};

enum class AfterChange { keep_running, exit };

class ChangeAction {
 public:
  virtual ~ChangeAction() = default;
  // e.g. "command ipfs shutdown", "signal TERM to the pid in /run/kubo.pid", "exit"
  [[nodiscard]] virtual std::string describe() const = 0;
  // Bounded in time; failures name what failed (the command, its status; the pid file).
  [[nodiscard]] virtual Result<AfterChange> run(const KeyChange& change) = 0;
};

}  // namespace keyd::ports
