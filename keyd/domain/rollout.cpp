// kubectl's rollout status rules (kubectl/pkg/polymorphichelpers/rollout_status.go), one function per
// kind, with kubectl's messages (without the trailing "\n").
#include "keyd/domain/rollout.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keyd::domain {

namespace {

RolloutState waiting(std::int32_t updated, std::int32_t desired, std::string message) {
  return RolloutState{RolloutPhase::waiting, updated, desired, std::move(message)};
}

RolloutState complete(std::int32_t desired, std::string message) {
  return RolloutState{RolloutPhase::complete, desired, desired, std::move(message)};
}

// An empty strategy is what the API server defaults to RollingUpdate.
bool rolling(const WorkloadStatus& s) { return s.update_strategy.empty() || s.update_strategy == "RollingUpdate"; }

RolloutState stateful_set(const WorkloadStatus& s) {
  if (!rolling(s)) {
    return RolloutState{RolloutPhase::never_rolls, 0, s.desired,
                        fmt::format("statefulset \"{}\" uses the {} update strategy: its pods are replaced only when "
                                    "they are deleted (rollout status is only available for RollingUpdate)",
                                    s.name, s.update_strategy)};
  }
  // The pods that must run the new template: all of them, or those at or above the partition.
  const std::int32_t target = s.partition ? std::max(0, s.desired - *s.partition) : s.desired;
  if (s.observed_generation == 0 || s.generation > s.observed_generation) {
    return waiting(0, target, "Waiting for statefulset spec update to be observed...");
  }
  const std::int32_t updated = std::min(s.updated, target);
  if (s.ready < s.desired) {
    return waiting(updated, target, fmt::format("Waiting for {} pods to be ready...", s.desired - s.ready));
  }
  if (s.partition) {
    if (s.updated < target) {
      return waiting(updated, target,
                     fmt::format("Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...",
                                 s.updated, target));
    }
    return complete(target, fmt::format("partitioned roll out complete: {} new pods have been updated...", s.updated));
  }
  if (s.update_revision != s.current_revision) {
    return waiting(updated, target,
                   fmt::format("waiting for statefulset rolling update to complete {} pods at revision {}...",
                               s.updated, s.update_revision));
  }
  return complete(target, fmt::format("statefulset rolling update complete {} pods at revision {}...", s.desired,
                                      s.current_revision));
}

RolloutState deployment(const WorkloadStatus& s) {
  if (s.paused) {
    return RolloutState{RolloutPhase::never_rolls, 0, s.desired,
                        fmt::format("deployment \"{}\" is paused: it does not roll out until resumed", s.name)};
  }
  if (s.generation > s.observed_generation) {
    return waiting(0, s.desired, "Waiting for deployment spec update to be observed...");
  }
  const std::int32_t updated = std::clamp(s.updated, 0, s.desired);
  if (s.progress_deadline_exceeded) {
    return RolloutState{RolloutPhase::failed, updated, s.desired,
                        fmt::format("deployment \"{}\" exceeded its progress deadline", s.name)};
  }
  const auto prefix = fmt::format("Waiting for deployment \"{}\" rollout to finish: ", s.name);
  if (s.updated < s.desired) {
    return waiting(updated, s.desired,
                   fmt::format("{}{} out of {} new replicas have been updated...", prefix, s.updated, s.desired));
  }
  if (s.total > s.updated) {
    return waiting(updated, s.desired,
                   fmt::format("{}{} old replicas are pending termination...", prefix, s.total - s.updated));
  }
  if (s.available < s.updated) {
    return waiting(updated, s.desired,
                   fmt::format("{}{} of {} updated replicas are available...", prefix, s.available, s.updated));
  }
  return complete(s.desired, fmt::format("deployment \"{}\" successfully rolled out", s.name));
}

RolloutState daemon_set(const WorkloadStatus& s) {
  if (!rolling(s)) {
    return RolloutState{RolloutPhase::never_rolls, 0, s.desired,
                        fmt::format("daemon set \"{}\" uses the {} update strategy: its pods are replaced only when "
                                    "they are deleted (rollout status is only available for RollingUpdate)",
                                    s.name, s.update_strategy)};
  }
  if (s.generation > s.observed_generation) {
    return waiting(0, s.desired, "Waiting for daemon set spec update to be observed...");
  }
  const std::int32_t updated = std::clamp(s.updated, 0, s.desired);
  const auto prefix = fmt::format("Waiting for daemon set \"{}\" rollout to finish: ", s.name);
  if (s.updated < s.desired) {
    return waiting(updated, s.desired,
                   fmt::format("{}{} out of {} new pods have been updated...", prefix, s.updated, s.desired));
  }
  if (s.available < s.desired) {
    return waiting(updated, s.desired,
                   fmt::format("{}{} of {} updated pods are available...", prefix, s.available, s.desired));
  }
  return complete(s.desired, fmt::format("daemon set \"{}\" successfully rolled out", s.name));
}

}  // namespace

RolloutState evaluate_rollout(const WorkloadStatus& status) {
  switch (status.kind) {
    case WorkloadKind::stateful_set:
      return stateful_set(status);
    case WorkloadKind::deployment:
      return deployment(status);
    case WorkloadKind::daemon_set:
      return daemon_set(status);
  }
  return waiting(0, status.desired, "unknown workload kind");
}

}  // namespace keyd::domain
