// The steps of the kubernetes target, one file each: permissions (kube_permissions.cpp), Secret
// sync (kube_secret_sync.cpp), restart (kube_restart.cpp), rollout tracking
// (kube_rollout_watch.cpp) and Events (kube_events.cpp). kube_target.cpp puts them in order.
#pragma once

#include "kube_api.hpp"

#include "keyd/ports/progress.hpp"
#include "keyd/ports/target.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace keyd::adapters::kube {

inline constexpr const char* k_field_manager = "keyd";
inline constexpr const char* k_managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr const char* k_template_annotation = "keyd.io/swarm-key-fingerprint";

// ---- permissions
struct AccessCheck {
  std::string verb;
  std::string group;     // "" (core) or "apps"
  std::string resource;  // secrets, statefulsets, pods, events
  std::string name;      // empty: any object (create, list, pods whose names are not known)
  bool required = true;  // false: only needed in some cases (create of a Secret that exists already)
};
struct AccessResult {
  std::vector<AccessCheck> denied_optional;  // e.g. create secrets: fails later only if it is needed
};
// One SelfSubjectRulesReview for the namespace answers every check its rules grant; a
// SelfSubjectAccessReview asks only about what they do not grant when the review says it is
// incomplete (a webhook authorizer), and about every check when the API server refuses the rules
// review. Every denied required check is named in one unauthorized error ("cannot get secrets
// \"x\", cannot patch statefulsets.apps \"ipfs\" ..."). A preflight for clear errors only: the API
// server still decides each request.
[[nodiscard]] Result<AccessResult> check_access(KubeApi& api, std::string_view ns, const std::vector<AccessCheck>& checks);
// Whether one of a SelfSubjectRulesReview's status.resourceRules grants the check (verbs,
// apiGroups, resources and resourceNames, with "*"; rules are additive, so a grant is certain).
[[nodiscard]] bool rules_grant(const SecretJson& resource_rules, const AccessCheck& check);

// ---- Secret sync
struct SecretSpec {
  std::string ns;
  std::string name;
  std::string key;
  bool adopt = false;
  bool may_create = true;  // false: the permission check said keyd cannot create Secrets here
  bool may_patch = true;   // false: no patch on the Secret, so a fresh version is read and updated too
};
// Create, or update with the read resourceVersion (re-read and retry on 409). No write when the
// Secret is labelled for keyd, its fingerprint annotation equals the delivery's and its data
// decodes to a key with that fingerprint.
[[nodiscard]] Result<ports::ApplyOutcome> sync_secret(KubeApi& api, const SecretSpec& spec,
                                                      const ports::Delivery& delivery, const ports::Clock& clock);

// ---- workloads
struct Workload {
  WorkloadType type;
  std::string ns;
  std::string name;
  SecretJson object;  // the last object read (or returned by the PATCH)

  [[nodiscard]] std::string label() const;  // "statefulset ipfs"
  [[nodiscard]] std::string path() const { return workload_path(type, ns, name); }
};
[[nodiscard]] Result<Workload> read_workload(KubeApi& api, std::string_view ns, std::string_view kind,
                                             std::string_view name);
// Refuse what keyd cannot restart: a paused Deployment; an OnDelete workload unless recreate.
[[nodiscard]] Status check_restartable(const Workload& workload, config::RestartStrategy strategy);
// The pod template annotation: true when patched, false when it already had this fingerprint.
[[nodiscard]] Result<bool> annotate_template(KubeApi& api, Workload& workload, std::string_view fingerprint);
// recreate: delete the workload's pods whose template annotation is not this fingerprint (pods
// already on the new key stay). Returns how many were deleted.
[[nodiscard]] Result<int> delete_stale_pods(KubeApi& api, const Workload& workload, std::string_view fingerprint);

// ---- rollout
[[nodiscard]] domain::WorkloadStatus workload_status(const Workload& workload);
// Follow until every workload's rollout is complete, printing "<name>: 2/3 pods on the new key".
// `recreate`: OnDelete workloads are tracked as if rolling (their pods were deleted by keyd).
[[nodiscard]] Status follow_rollouts(KubeApi& api, std::vector<Workload>& workloads, bool recreate,
                                     std::chrono::milliseconds timeout, const ports::Clock& clock,
                                     ports::Progress& progress);

// ---- events (best effort: failures are logged, never returned)
// The SwarmKeyRotated Event for a restarted workload (no key material: version, fingerprint, path).
[[nodiscard]] SecretJson rotation_event(const Workload& workload, const ports::Delivery& delivery,
                                        std::string_view secret, const ports::Clock& clock);
// POST it; a failure is a warning.
void send_event(KubeApi& api, const SecretJson& event, const std::string& workload_label);

}  // namespace keyd::adapters::kube
