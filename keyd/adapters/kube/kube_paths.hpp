// Kubernetes API paths and query escaping, as pure values. No I/O.
#pragma once

#include "kube_names.hpp"

#include <string>
#include <string_view>

namespace keyd::adapters::kube {

inline constexpr std::string_view k_apps_group = "apps";
inline constexpr std::string_view k_access_review_path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
inline constexpr std::string_view k_rules_review_path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

// API paths (no query).
[[nodiscard]] std::string secrets_path(std::string_view ns);
[[nodiscard]] std::string secret_path(std::string_view ns, std::string_view name);
[[nodiscard]] std::string workload_path(const WorkloadType& type, std::string_view ns, std::string_view name);
[[nodiscard]] std::string pods_path(std::string_view ns);
[[nodiscard]] std::string pod_path(std::string_view ns, std::string_view name);
[[nodiscard]] std::string events_path(std::string_view ns);

// Percent-encoding of a query value (RFC 3986 unreserved characters stay).
[[nodiscard]] std::string query_escape(std::string_view value);

}  // namespace keyd::adapters::kube
