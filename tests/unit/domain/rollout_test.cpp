// evaluate_rollout against kubectl's rollout status rules, one table per kind; every case says why.
#include "keyd/domain/rollout.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::domain {
namespace {

std::string phase_name(RolloutPhase phase) {
  switch (phase) {
    case RolloutPhase::waiting:
      return "waiting";
    case RolloutPhase::complete:
      return "complete";
    case RolloutPhase::never_rolls:
      return "never_rolls";
    case RolloutPhase::failed:
      return "failed";
  }
  return "?";
}

struct Case {
  const char* why;
  WorkloadStatus status;
  RolloutPhase phase;
  std::int32_t updated;
  std::int32_t desired;
  std::string message;
};

void run(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const RolloutState got = evaluate_rollout(c.status);
    EXPECT_EQ(phase_name(got.phase), phase_name(c.phase)) << c.why;
    EXPECT_EQ(got.updated, c.updated) << c.why;
    EXPECT_EQ(got.desired, c.desired) << c.why;
    EXPECT_EQ(got.message, c.message) << c.why;
  }
}

// A StatefulSet of 3 as the API server defaults it (RollingUpdate, partition 0), fully rolled out.
WorkloadStatus sts() {
  WorkloadStatus s;
  s.kind = WorkloadKind::stateful_set;
  s.name = "ipfs";
  s.generation = 2;
  s.observed_generation = 2;
  s.desired = 3;
  s.ready = 3;
  s.updated = 3;
  s.available = 3;
  s.total = 3;
  s.update_strategy = "RollingUpdate";
  s.partition = 0;
  s.current_revision = "ipfs-abc";
  s.update_revision = "ipfs-abc";
  return s;
}

template <typename F>
WorkloadStatus with(WorkloadStatus s, F change) {
  change(s);
  return s;
}

TEST(Rollout, StatefulSet) {
  using P = RolloutPhase;
  run({
      {"rolled out with partition 0", sts(), P::complete, 3, 3,
       "partitioned roll out complete: 3 new pods have been updated..."},
      {"OnDelete never rolls by itself", with(sts(), [](auto& s) { s.update_strategy = "OnDelete"; }), P::never_rolls,
       0, 3,
       "statefulset \"ipfs\" uses the OnDelete update strategy: its pods are replaced only when they are deleted "
       "(rollout status is only available for RollingUpdate)"},
      {"new generation not yet observed", with(sts(), [](auto& s) { s.generation = 3; }), P::waiting, 0, 3,
       "Waiting for statefulset spec update to be observed..."},
      {"observedGeneration 0 means never observed",
       with(sts(), [](auto& s) { s.generation = 0; s.observed_generation = 0; }), P::waiting, 0, 3,
       "Waiting for statefulset spec update to be observed..."},
      {"a pod is not ready", with(sts(), [](auto& s) { s.ready = 2; s.updated = 1; }), P::waiting, 1, 3,
       "Waiting for 1 pods to be ready..."},
      {"ready but not all updated", with(sts(), [](auto& s) { s.updated = 2; }), P::waiting, 2, 3,
       "Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated..."},
      {"partition 2: one pod to update, done",
       with(sts(), [](auto& s) { s.partition = 2; s.updated = 1; s.update_revision = "ipfs-new"; }), P::complete, 1,
       1, "partitioned roll out complete: 1 new pods have been updated..."},
      {"partition above replicas: nothing to do", with(sts(), [](auto& s) { s.partition = 5; s.updated = 0; }),
       P::complete, 0, 0, "partitioned roll out complete: 0 new pods have been updated..."},
      {"no partition: revisions differ",
       with(sts(), [](auto& s) { s.partition.reset(); s.updated = 3; s.update_revision = "ipfs-new"; }), P::waiting,
       3, 3, "waiting for statefulset rolling update to complete 3 pods at revision ipfs-new..."},
      {"no partition: revisions equal", with(sts(), [](auto& s) { s.partition.reset(); }), P::complete, 3, 3,
       "statefulset rolling update complete 3 pods at revision ipfs-abc..."},
      {"empty strategy is the default RollingUpdate", with(sts(), [](auto& s) { s.update_strategy.clear(); }),
       P::complete, 3, 3, "partitioned roll out complete: 3 new pods have been updated..."},
      {"zero replicas are complete at once",
       with(sts(), [](auto& s) { s.desired = 0; s.ready = 0; s.updated = 0; }), P::complete, 0, 0,
       "partitioned roll out complete: 0 new pods have been updated..."},
  });
}

WorkloadStatus deploy() {
  WorkloadStatus s;
  s.kind = WorkloadKind::deployment;
  s.name = "gateway";
  s.generation = 4;
  s.observed_generation = 4;
  s.desired = 2;
  s.ready = 2;
  s.updated = 2;
  s.available = 2;
  s.total = 2;
  s.update_strategy = "RollingUpdate";
  return s;
}

TEST(Rollout, Deployment) {
  using P = RolloutPhase;
  run({
      {"rolled out", deploy(), P::complete, 2, 2, "deployment \"gateway\" successfully rolled out"},
      {"paused never rolls", with(deploy(), [](auto& s) { s.paused = true; }), P::never_rolls, 0, 2,
       "deployment \"gateway\" is paused: it does not roll out until resumed"},
      {"spec not observed", with(deploy(), [](auto& s) { s.generation = 5; }), P::waiting, 0, 2,
       "Waiting for deployment spec update to be observed..."},
      {"progress deadline exceeded", with(deploy(), [](auto& s) { s.updated = 1; s.progress_deadline_exceeded = true; }),
       P::failed, 1, 2, "deployment \"gateway\" exceeded its progress deadline"},
      {"fewer updated than desired", with(deploy(), [](auto& s) { s.updated = 1; s.total = 3; }), P::waiting, 1, 2,
       "Waiting for deployment \"gateway\" rollout to finish: 1 out of 2 new replicas have been updated..."},
      {"old replicas pending termination", with(deploy(), [](auto& s) { s.total = 3; }), P::waiting, 2, 2,
       "Waiting for deployment \"gateway\" rollout to finish: 1 old replicas are pending termination..."},
      {"updated but not available", with(deploy(), [](auto& s) { s.available = 1; }), P::waiting, 2, 2,
       "Waiting for deployment \"gateway\" rollout to finish: 1 of 2 updated replicas are available..."},
      {"Recreate strategy still rolls", with(deploy(), [](auto& s) { s.update_strategy = "Recreate"; }), P::complete,
       2, 2, "deployment \"gateway\" successfully rolled out"},
  });
}

WorkloadStatus ds() {
  WorkloadStatus s;
  s.kind = WorkloadKind::daemon_set;
  s.name = "ipfs-node";
  s.generation = 7;
  s.observed_generation = 7;
  s.desired = 4;
  s.ready = 4;
  s.updated = 4;
  s.available = 4;
  s.total = 4;
  s.update_strategy = "RollingUpdate";
  return s;
}

TEST(Rollout, DaemonSet) {
  using P = RolloutPhase;
  run({
      {"rolled out", ds(), P::complete, 4, 4, "daemon set \"ipfs-node\" successfully rolled out"},
      {"OnDelete never rolls", with(ds(), [](auto& s) { s.update_strategy = "OnDelete"; }), P::never_rolls, 0, 4,
       "daemon set \"ipfs-node\" uses the OnDelete update strategy: its pods are replaced only when they are "
       "deleted (rollout status is only available for RollingUpdate)"},
      {"spec not observed", with(ds(), [](auto& s) { s.observed_generation = 6; }), P::waiting, 0, 4,
       "Waiting for daemon set spec update to be observed..."},
      {"not all updated", with(ds(), [](auto& s) { s.updated = 3; }), P::waiting, 3, 4,
       "Waiting for daemon set \"ipfs-node\" rollout to finish: 3 out of 4 new pods have been updated..."},
      {"updated but not available", with(ds(), [](auto& s) { s.available = 2; }), P::waiting, 4, 4,
       "Waiting for daemon set \"ipfs-node\" rollout to finish: 2 of 4 updated pods are available..."},
  });
}

}  // namespace
}  // namespace keyd::domain
