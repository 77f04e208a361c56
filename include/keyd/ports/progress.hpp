// Progress: one-line status updates during long waits (a rollout, a lock), for a person watching.
#pragma once

#include <string_view>

namespace keyd::ports {

class Progress {
 public:
  virtual ~Progress() = default;
  // A new status line, e.g. "ipfs: 2/3 pods on the new key". Never key material.
  virtual void update(std::string_view line) = 0;
  // The wait is over (success or not); a terminal implementation ends its status line.
  virtual void done() = 0;
};

// Discards everything (tests, non-interactive callers that log instead).
class NullProgress final : public Progress {
 public:
  void update(std::string_view) override {}
  void done() override {}
};

}  // namespace keyd::ports
