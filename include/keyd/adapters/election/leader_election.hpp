// Leader election for `keyd daemon`: a coordination.k8s.io/v1 Lease with client-go's algorithm,
// or, without Kubernetes, an exclusive flock(2) on a lock file (one host only).
#pragma once

#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/leadership.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace keyd::adapters {

// "<hostname>_<pid>": unique per process, readable in `kubectl get lease`.
[[nodiscard]] std::string default_leader_identity();

// Leads while it holds an exclusive lock on `lock_file` (created 0600); writes its identity into
// the file so followers can name the holder. The lock goes when the process dies, so a follower
// takes over at its next step.
[[nodiscard]] std::unique_ptr<ports::LeaderElector> make_file_lock_elector(std::filesystem::path lock_file,
                                                                           std::string identity);

struct LeaseOptions {
  std::string namespace_name;  // empty: the connection's namespace
  std::string name = "keyd";
  std::string identity;  // empty: default_leader_identity()
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

// client-go's leader election on the Lease <namespace>/<name>: a lease held by another is valid
// until this process's own observation of its last change + leaseDurationSeconds (no clock skew
// between nodes matters); takeover and renewal are PUTs with the resourceVersion read; release
// sets holderIdentity "" and leaseDurationSeconds 1. Every call is one attempt within
// renew_deadline / 2, so a round and the release end within renew_deadline however the API
// server behaves (the next round retries).
[[nodiscard]] std::unique_ptr<ports::LeaderElector> make_lease_elector(LeaseOptions options,
                                                                       std::shared_ptr<KubeApi> api,
                                                                       const ports::Clock& clock);

}  // namespace keyd::adapters
