// Rollout status of a workload, by kubectl's rules (kubectl rollout status). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace keyd::domain {

enum class WorkloadKind { stateful_set, deployment, daemon_set };

// The fields of a workload object that decide its rollout state.
struct WorkloadStatus {
  WorkloadKind kind = WorkloadKind::stateful_set;
  std::string name;
  std::int64_t generation = 0;           // metadata.generation
  std::int64_t observed_generation = 0;  // status.observedGeneration
  std::int32_t desired = 0;              // spec.replicas (DaemonSet: status.desiredNumberScheduled)
  std::int32_t ready = 0;                // readyReplicas / numberReady
  std::int32_t updated = 0;              // updatedReplicas / updatedNumberScheduled
  std::int32_t available = 0;            // availableReplicas / numberAvailable
  std::int32_t total = 0;                // status.replicas (Deployment: old + new pods)
  std::string update_strategy;           // RollingUpdate | OnDelete | Recreate
  std::optional<std::int32_t> partition; // StatefulSet rollingUpdate.partition
  std::string current_revision;          // StatefulSet
  std::string update_revision;           // StatefulSet
  bool paused = false;                   // Deployment spec.paused
  bool progress_deadline_exceeded = false;  // Deployment condition Progressing=False, ProgressDeadlineExceeded
};

enum class RolloutPhase {
  waiting,       // still rolling; see message
  complete,      // every pod runs the current template
  never_rolls,   // OnDelete StatefulSet/DaemonSet or paused Deployment: will not roll by itself
  failed,        // the controller gave up (Deployment progress deadline)
};

struct RolloutState {
  RolloutPhase phase = RolloutPhase::waiting;
  std::int32_t updated = 0;  // pods on the new template
  std::int32_t desired = 0;
  std::string message;       // kubectl-like, e.g. "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated..."
};

[[nodiscard]] RolloutState evaluate_rollout(const WorkloadStatus& status);

}  // namespace keyd::domain
