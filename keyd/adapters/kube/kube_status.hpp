// The Kubernetes API as pure values: resource paths, names, query escaping, label selectors,
// and what a non-2xx answer means (decided once, here). No I/O.
#pragma once

#include "../os/wiping_allocator.hpp"
#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/domain/rollout.hpp"

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::kube {

using detail::SecretJson;

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

inline constexpr std::string_view k_apps_group = "apps";
inline constexpr std::string_view k_access_review_path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

// API paths (no query).
[[nodiscard]] std::string secrets_path(std::string_view ns);
[[nodiscard]] std::string secret_path(std::string_view ns, std::string_view name);
[[nodiscard]] std::string workload_path(const WorkloadType& type, std::string_view ns, std::string_view name);
[[nodiscard]] std::string pods_path(std::string_view ns);
[[nodiscard]] std::string pod_path(std::string_view ns, std::string_view name);
[[nodiscard]] std::string events_path(std::string_view ns);

// Percent-encoding of a query value (RFC 3986 unreserved characters stay).
[[nodiscard]] std::string query_escape(std::string_view value);

// invalid_config unless `name` is a DNS-1123 subdomain (what Secrets, workloads and namespaces use).
[[nodiscard]] Status check_object_name(std::string_view what, std::string_view name);
// invalid_config unless `key` is a valid Secret data key ([-._a-zA-Z0-9]+, not "." or "..").
[[nodiscard]] Status check_data_key(std::string_view key);

// A LabelSelector object (matchLabels, matchExpressions) in query syntax: "app=ipfs,tier in (a,b)".
// invalid_input for an empty selector (it would select every pod) or an unknown operator.
[[nodiscard]] Result<std::string> selector_string(const SecretJson& selector);

// JSON bodies as Secrets (they may carry key material) and back.
[[nodiscard]] Secret to_body(const SecretJson& doc);
[[nodiscard]] Result<SecretJson> parse_json(const Secret& body, std::string_view what);

// Field access on a parsed object: the value at a path of object keys, or null when absent.
[[nodiscard]] const SecretJson* find_at(const SecretJson& doc, std::initializer_list<const char*> path);
[[nodiscard]] std::string string_at(const SecretJson& doc, std::initializer_list<const char*> path);
[[nodiscard]] std::int64_t int_at(const SecretJson& doc, std::initializer_list<const char*> path,
                                  std::int64_t fallback = 0);
[[nodiscard]] detail::WipedString wiped(std::string_view text);

// A Status body (kind Status) as far as messages need it.
struct ApiStatus {
  std::string message;              // e.g. secrets "x" not found
  std::string reason;               // NotFound, Conflict, AlreadyExists, Forbidden, Invalid, ...
  std::vector<std::string> causes;  // "field: message" of details.causes
};
[[nodiscard]] ApiStatus parse_status(const Secret& body);

// What a non-2xx answer means, for every call: 404 → not_found, 409 → conflict, 401/403 →
// unauthorized (the 403 message names verb and resource), 422/400/415 → invalid_input (with
// causes), 429/5xx → unavailable. `what` is e.g. "kubernetes GET /api/v1/namespaces/x/secrets/y".
[[nodiscard]] Error status_error(std::string_view what, int status, const Secret& body);
[[nodiscard]] bool is_retryable_status(int status);

}  // namespace keyd::adapters::kube
