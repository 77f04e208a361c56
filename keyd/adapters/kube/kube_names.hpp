// Kubernetes names as the kubernetes target checks its options: workload kinds with their API
// coordinates, object names, namespaces and Secret data keys. The rules are keyd/domain/kube_names.hpp,
// which the config applies too, so both give the same answer. No I/O.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/domain/rollout.hpp"

#include <string_view>

namespace keyd::adapters::kube {

// A workload kind keyd can restart, with its API coordinates.
struct WorkloadType {
  domain::WorkloadKind kind = domain::WorkloadKind::stateful_set;
  std::string_view kind_name;   // StatefulSet
  std::string_view resource;    // statefulsets
  std::string_view short_name;  // sts (for messages: "sts/ipfs")
  std::string_view noun;        // statefulset (for messages: "statefulset ipfs")
};
// "StatefulSet", "statefulset(s)", "sts", … (case-insensitive); invalid_config otherwise.
[[nodiscard]] Result<WorkloadType> workload_type(std::string_view kind);

// invalid_config unless `name` is a DNS-1123 subdomain (what Secrets and workloads use).
[[nodiscard]] Status check_object_name(std::string_view what, std::string_view name);
// invalid_config unless `name` is a DNS-1123 label (what namespaces use).
[[nodiscard]] Status check_namespace_name(std::string_view name);
// invalid_config unless `key` is a valid Secret data key ([-._a-zA-Z0-9]+, not "." or "..").
[[nodiscard]] Status check_data_key(std::string_view key);

}  // namespace keyd::adapters::kube
