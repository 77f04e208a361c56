// LeaderElector: who of several keyd daemons may write. Implemented by a coordination.k8s.io/v1
// Lease (client-go's algorithm) and, without Kubernetes, an exclusive lock on a file.
#pragma once

#include "keyd/common/result.hpp"

#include <string>

namespace keyd::ports {

struct LeadershipStatus {
  bool leading = false;
  bool known = false;  // a round has completed: this process knows whether it leads
  std::string holder;  // the holder's identity as last seen (this process's when leading); may be empty
  std::string error;   // why the last round failed; empty when it succeeded
};

class LeaderElector {
 public:
  virtual ~LeaderElector() = default;
  // e.g. "lease ipfs-system/keyd" or "lock file /run/keyd/daemon.lock"; never a credential.
  [[nodiscard]] virtual std::string describe() const = 0;
  // This process's identity (hostname_pid-like), as written into the lease or the lock file.
  [[nodiscard]] virtual const std::string& identity() const = 0;
  // One round, run every retry period: acquire when free or expired, renew when held. A leader
  // that could not renew for the renew deadline stops leading. Bounded by the adapter's timeouts.
  [[nodiscard]] virtual LeadershipStatus step() = 0;
  // Give leadership up now (shutdown), so a follower takes over without waiting for expiry.
  // Idempotent; does nothing when not leading.
  virtual Status release() = 0;
};

}  // namespace keyd::ports
