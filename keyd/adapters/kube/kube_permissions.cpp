// Before touching anything: ask the API server (SelfSubjectAccessReview) whether keyd may do what
// the target needs, and name everything missing at once.
#include "kube_ops.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

namespace {

std::string describe(const AccessCheck& check) {
  const std::string resource = check.group.empty() ? check.resource : check.resource + "." + check.group;
  return check.name.empty() ? fmt::format("{} {}", check.verb, resource)
                            : fmt::format("{} {} \"{}\"", check.verb, resource, check.name);
}

SecretJson review_body(std::string_view ns, const AccessCheck& check) {
  SecretJson attrs;
  attrs["namespace"] = wiped(ns);
  attrs["verb"] = wiped(check.verb);
  attrs["group"] = wiped(check.group);
  attrs["resource"] = wiped(check.resource);
  if (!check.name.empty()) attrs["name"] = wiped(check.name);
  SecretJson body;
  body["apiVersion"] = "authorization.k8s.io/v1";
  body["kind"] = "SelfSubjectAccessReview";
  body["spec"]["resourceAttributes"] = std::move(attrs);
  return body;
}

}  // namespace

Result<AccessResult> check_access(KubeApi& api, std::string_view ns, const std::vector<AccessCheck>& checks) {
  AccessResult result;
  std::vector<std::string> missing;
  for (const auto& check : checks) {
    auto review = api.create(k_access_review_path, review_body(ns, check));
    if (!review) return fail(review.error().with_context("checking permissions"));
    const SecretJson* allowed = find_at(*review, {"status", "allowed"});
    if (allowed != nullptr && allowed->is_boolean() && allowed->get<bool>()) continue;
    if (!check.required) {
      result.denied_optional.push_back(check);
      continue;
    }
    missing.push_back(describe(check));
  }
  if (!missing.empty()) {
    return fail(ErrorCode::unauthorized,
                fmt::format("missing Kubernetes permissions in namespace {} for the identity of {}: cannot {} "
                            "(grant them with a Role and RoleBinding, see manifests/keyd-rbac.yaml)",
                            ns, api.connection().description, fmt::join(missing, ", cannot ")));
  }
  for (const auto& check : result.denied_optional) {
    spdlog::debug("kubernetes: may not {} in namespace {} (needed only if the object is missing)", describe(check), ns);
  }
  return result;
}

}  // namespace keyd::adapters::kube
