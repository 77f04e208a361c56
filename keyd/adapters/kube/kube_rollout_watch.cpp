// Follow rollouts by polling each workload (GET) until kubectl's rule says complete. The poll
// interval starts short and grows while nothing changes, so a fast rollout is seen at once and a
// slow one costs few requests.
#include "keyd/common/crash_point.hpp"
#include "kube_ops.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

namespace keyd::adapters::kube {

namespace {

constexpr std::chrono::milliseconds k_first_poll{100};
constexpr std::chrono::milliseconds k_max_poll{2'000};

std::int32_t count_at(const SecretJson& doc, std::initializer_list<const char*> path, std::int32_t fallback = 0) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(int_at(doc, path, fallback), 0, std::numeric_limits<std::int32_t>::max()));
}

bool deadline_exceeded(const SecretJson& object) {
  const SecretJson* conditions = find_at(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return false;
  return std::ranges::any_of(*conditions, [](const SecretJson& c) {
    return string_at(c, {"type"}) == "Progressing" && string_at(c, {"reason"}) == "ProgressDeadlineExceeded";
  });
}

struct Tracked {
  Workload* workload;
  domain::RolloutState state;
  std::string last_line;
  bool done = false;
};

std::string progress_line(const Workload& w, const domain::RolloutState& state) {
  return fmt::format("{}: {}/{} pods on the new key", w.name, state.updated, state.desired);
}

}  // namespace

domain::WorkloadStatus workload_status(const Workload& w) {
  const SecretJson& o = w.object;
  domain::WorkloadStatus s;
  s.kind = w.type.kind;
  s.name = w.name;
  s.generation = int_at(o, {"metadata", "generation"});
  s.observed_generation = int_at(o, {"status", "observedGeneration"});
  switch (w.type.kind) {
    case domain::WorkloadKind::stateful_set:
      s.desired = count_at(o, {"spec", "replicas"}, 1);
      s.ready = count_at(o, {"status", "readyReplicas"});
      s.updated = count_at(o, {"status", "updatedReplicas"});
      s.available = count_at(o, {"status", "availableReplicas"});
      s.total = count_at(o, {"status", "replicas"});
      s.update_strategy = string_at(o, {"spec", "updateStrategy", "type"});
      if (const SecretJson* p = find_at(o, {"spec", "updateStrategy", "rollingUpdate", "partition"});
          p != nullptr && p->is_number_integer()) {
        s.partition = count_at(o, {"spec", "updateStrategy", "rollingUpdate", "partition"});
      }
      s.current_revision = string_at(o, {"status", "currentRevision"});
      s.update_revision = string_at(o, {"status", "updateRevision"});
      break;
    case domain::WorkloadKind::deployment:
      s.desired = count_at(o, {"spec", "replicas"}, 1);
      s.ready = count_at(o, {"status", "readyReplicas"});
      s.updated = count_at(o, {"status", "updatedReplicas"});
      s.available = count_at(o, {"status", "availableReplicas"});
      s.total = count_at(o, {"status", "replicas"});
      s.update_strategy = string_at(o, {"spec", "strategy", "type"});
      if (const SecretJson* p = find_at(o, {"spec", "paused"}); p != nullptr && p->is_boolean()) s.paused = p->get<bool>();
      s.progress_deadline_exceeded = deadline_exceeded(o);
      break;
    case domain::WorkloadKind::daemon_set:
      s.desired = count_at(o, {"status", "desiredNumberScheduled"});
      s.ready = count_at(o, {"status", "numberReady"});
      s.updated = count_at(o, {"status", "updatedNumberScheduled"});
      s.available = count_at(o, {"status", "numberAvailable"});
      s.total = count_at(o, {"status", "currentNumberScheduled"});
      s.update_strategy = string_at(o, {"spec", "updateStrategy", "type"});
      break;
  }
  return s;
}

Status follow_rollouts(KubeApi& api, std::vector<Workload>& workloads, bool recreate,
                       std::chrono::milliseconds timeout, const ports::Clock& clock, ports::Progress& progress) {
  std::vector<Tracked> tracked;
  for (auto& w : workloads) tracked.push_back(Tracked{&w, {}, {}, false});
  const auto deadline = clock.now() + timeout;
  auto interval = k_first_poll;
  for (bool first = true;; first = false) {
    bool changed = false;
    for (auto& t : tracked) {
      if (t.done) continue;
      if (!first) {
        test_crash_point("during-rollout-wait");
        auto fresh = api.get(t.workload->path());
        if (!fresh) {
          progress.done();
          return fail(std::move(fresh).error());
        }
        t.workload->object = std::move(*fresh);
      }
      domain::WorkloadStatus status = workload_status(*t.workload);
      if (recreate && status.update_strategy == "OnDelete") {
        // keyd deleted the pods itself: done when every pod is back, ready, on the new revision.
        status.update_strategy = "RollingUpdate";
        status.partition = 0;
      }
      t.state = domain::evaluate_rollout(status);
      if (t.state.phase == domain::RolloutPhase::failed || t.state.phase == domain::RolloutPhase::never_rolls) {
        progress.done();
        return fail(ErrorCode::timeout, fmt::format("{} in namespace {}: {}", t.workload->label(), t.workload->ns,
                                                    t.state.message));
      }
      if (std::string line = progress_line(*t.workload, t.state); line != t.last_line) {
        progress.update(line);
        t.last_line = std::move(line);
        changed = true;
      }
      spdlog::debug("kubernetes: {}: {}", t.workload->label(), t.state.message);
      if (t.state.phase == domain::RolloutPhase::complete) {
        spdlog::info("kubernetes: {} in namespace {}: rollout complete ({})", t.workload->label(), t.workload->ns,
                     t.state.message);
        t.done = true;
      }
    }
    if (std::ranges::all_of(tracked, &Tracked::done)) {
      progress.done();
      return {};
    }
    const auto now = clock.now();
    if (now >= deadline) {
      progress.done();
      std::vector<std::string> pending;
      for (const auto& t : tracked) {
        if (!t.done) {
          pending.push_back(fmt::format("{} in namespace {}: {} ({}/{} pods on the new key)", t.workload->label(),
                                        t.workload->ns, t.state.message, t.state.updated, t.state.desired));
        }
      }
      return fail(ErrorCode::timeout, fmt::format("rollout not complete after {} ms: {}", timeout.count(),
                                                  fmt::join(pending, "; ")));
    }
    interval = changed ? k_first_poll : std::min(k_max_poll, interval * 3 / 2);
    clock.sleep_for(std::min(interval, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                                           std::chrono::milliseconds(1)));
  }
}

}  // namespace keyd::adapters::kube
