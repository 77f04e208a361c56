// Restart by pod template annotation: the value is the key's fingerprint, so patching is a no-op
// (skipped entirely) when the workload already runs this key — a second sync, a keyd restart or a
// failover never restarts pods, and two rotations within one second are two different values.
#include "kube_ops.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

namespace {

std::string template_fingerprint(const SecretJson& object) {
  return string_at(object, {"spec", "template", "metadata", "annotations", k_template_annotation});
}

std::string update_strategy(const Workload& w) {
  const char* field = w.type.kind == domain::WorkloadKind::deployment ? "strategy" : "updateStrategy";
  return string_at(w.object, {"spec", field, "type"});
}

}  // namespace

std::string Workload::label() const { return fmt::format("{} {}", type.noun, name); }

Result<Workload> read_workload(KubeApi& api, std::string_view ns, std::string_view kind, std::string_view name) {
  KEYD_ASSIGN_OR_RETURN(const WorkloadType type, workload_type(kind));
  Workload w{type, std::string(ns), std::string(name), nullptr};
  KEYD_ASSIGN_OR_RETURN(w.object, api.get(w.path()));
  return w;
}

Status check_restartable(const Workload& w, config::RestartStrategy strategy) {
  if (w.type.kind == domain::WorkloadKind::deployment) {
    if (const SecretJson* paused = find_at(w.object, {"spec", "paused"});
        paused != nullptr && paused->is_boolean() && paused->get<bool>()) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("{} in namespace {} is paused: keyd does not restart paused Deployments (the new key "
                              "would reach no pod); resume it (kubectl rollout resume deployment/{}) or remove it "
                              "from restart",
                              w.label(), w.ns, w.name));
    }
    return {};
  }
  if (update_strategy(w) == "OnDelete" && strategy != config::RestartStrategy::recreate) {
    return fail(ErrorCode::invalid_config,
                fmt::format("{} in namespace {} uses updateStrategy OnDelete: it does not roll by itself, so its pods "
                            "would keep the old key; set strategy: recreate (keyd then deletes its pods) or switch it "
                            "to RollingUpdate",
                            w.label(), w.ns));
  }
  return {};
}

Result<bool> annotate_template(KubeApi& api, Workload& w, std::string_view fingerprint) {
  if (template_fingerprint(w.object) == fingerprint) {
    spdlog::debug("kubernetes: {} already runs fingerprint {}; no restart", w.label(), fingerprint);
    return false;
  }
  SecretJson patch;
  patch["spec"]["template"]["metadata"]["annotations"][k_template_annotation] = wiped(fingerprint);
  auto patched = api.patch(w.path(), PatchType::strategic_merge, patch, k_field_manager);
  if (!patched) return fail(std::move(patched).error());
  w.object = std::move(*patched);
  spdlog::info("kubernetes: {} in namespace {}: pod template annotated with fingerprint {} (generation {})", w.label(),
               w.ns, fingerprint, int_at(w.object, {"metadata", "generation"}));
  if (update_strategy(w) == "OnDelete") {
    spdlog::info("kubernetes: {} uses OnDelete and does not roll by itself; keyd deletes its pods", w.label());
  }
  return true;
}

Result<int> delete_stale_pods(KubeApi& api, const Workload& w, std::string_view fingerprint) {
  const SecretJson* selector = find_at(w.object, {"spec", "selector"});
  if (selector == nullptr) return fail(ErrorCode::invalid_input, fmt::format("{} has no spec.selector", w.label()));
  auto query = selector_string(*selector);
  if (!query) return fail(query.error().with_context(w.label()));
  KEYD_ASSIGN_OR_RETURN(const SecretJson pods, api.list(pods_path(w.ns), *query));
  const std::string uid = string_at(w.object, {"metadata", "uid"});
  int deleted = 0;
  const SecretJson* items = find_at(pods, {"items"});
  if (items == nullptr || !items->is_array()) return 0;
  for (const auto& pod : *items) {
    // Only this workload's pods (others may share labels), and only those on another key.
    bool owned = false;
    if (const SecretJson* refs = find_at(pod, {"metadata", "ownerReferences"}); refs != nullptr && refs->is_array()) {
      for (const auto& ref : *refs) owned = owned || string_at(ref, {"uid"}) == uid;
    }
    if (!owned || string_at(pod, {"metadata", "annotations", k_template_annotation}) == fingerprint) continue;
    const std::string name = string_at(pod, {"metadata", "name"});
    // The uid precondition: never delete the pod the controller already made again under that name.
    SecretJson options;
    options["apiVersion"] = "v1";
    options["kind"] = "DeleteOptions";
    options["preconditions"]["uid"] = wiped(string_at(pod, {"metadata", "uid"}));
    auto removed = api.remove(pod_path(w.ns, name), options);
    if (!removed && removed.error().code != ErrorCode::not_found && removed.error().code != ErrorCode::conflict) {
      return fail(std::move(removed).error());
    }
    if (removed) ++deleted;
  }
  spdlog::info("kubernetes: {} in namespace {}: deleted {} pods on the old key (strategy recreate)", w.label(), w.ns,
               deleted);
  return deleted;
}

}  // namespace keyd::adapters::kube
