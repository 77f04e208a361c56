#include "kube_names.hpp"

#include "keyd/domain/kube_names.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <string>

namespace keyd::adapters::kube {

namespace {

constexpr std::array<WorkloadType, 3> k_workload_types{{
    {domain::WorkloadKind::stateful_set, "StatefulSet", "statefulsets", "sts", "statefulset"},
    {domain::WorkloadKind::deployment, "Deployment", "deployments", "deploy", "deployment"},
    {domain::WorkloadKind::daemon_set, "DaemonSet", "daemonsets", "ds", "daemonset"},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<WorkloadType> workload_type(std::string_view kind) {
  const std::string k = lower(kind);
  for (const auto& type : k_workload_types) {
    if (k == type.noun || k == type.resource || k == type.short_name) return type;
  }
  return fail(ErrorCode::invalid_config,
              fmt::format("restart kind {:?}: keyd restarts StatefulSet, Deployment or DaemonSet", kind));
}

Status check_object_name(std::string_view what, std::string_view name) {
  if (domain::is_dns_subdomain(name)) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("{} {:?} is not a valid Kubernetes name (lower-case letters, digits, '-' and '.', "
                          "starting and ending with a letter or digit)",
                          what, name));
}

Status check_namespace_name(std::string_view name) {
  if (domain::is_dns_label(name)) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("namespace {:?} is not a valid Kubernetes namespace (lower-case letters, digits and '-', "
                          "starting and ending with a letter or digit, at most 63 characters)",
                          name));
}

Status check_data_key(std::string_view key) {
  if (domain::is_secret_data_key(key)) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("Secret key {:?} is not valid (letters, digits, '-', '.' and '_' only)", key));
}

}  // namespace keyd::adapters::kube
