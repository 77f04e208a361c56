// Before touching anything: ask the API server (one SelfSubjectRulesReview, SelfSubjectAccessReviews
// only where its rules cannot tell) whether keyd may do what the target needs, and name everything
// missing at once.
#include "kube_ops.hpp"

#include <fmt/format.h>
#include <optional>
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

SecretJson rules_review_body(std::string_view ns) {
  SecretJson body;
  body["apiVersion"] = "authorization.k8s.io/v1";
  body["kind"] = "SelfSubjectRulesReview";
  body["spec"]["namespace"] = wiped(ns);
  return body;
}

// A list of strings holds `wanted` (or "*", where `star` says the field knows it: resourceNames
// does not). An absent or malformed list holds nothing.
bool lists(const SecretJson& rule, const char* field, std::string_view wanted, bool star = true) {
  const auto it = rule.find(field);
  if (it == rule.end() || !it->is_array()) return false;
  for (const auto& item : *it) {
    if (!item.is_string()) continue;
    const auto& text = item.get_ref<const detail::WipedString&>();
    const std::string_view value(text.data(), text.size());
    if ((star && value == "*") || value == wanted) return true;
  }
  return false;
}

// A rules review's status.resourceRules, and whether they are all there is (incomplete: false):
// otherwise what they do not grant goes to SelfSubjectAccessReviews.
struct RulesAnswer {
  SecretJson rules = SecretJson::array();
  bool complete = false;
};

// One SelfSubjectRulesReview; nullopt when the API server refuses it (an old or restricted server),
// so every check goes to a SelfSubjectAccessReview as before.
Result<std::optional<RulesAnswer>> review_rules(KubeApi& api, std::string_view ns) {
  auto review = api.create(k_rules_review_path, rules_review_body(ns));
  if (!review) {
    const ErrorCode code = review.error().code;
    if (code == ErrorCode::not_found || code == ErrorCode::unauthorized || code == ErrorCode::invalid_input) {
      spdlog::debug("kubernetes: no SelfSubjectRulesReview ({}); asking one access review per permission",
                    review.error().message);
      return std::optional<RulesAnswer>{};
    }
    return fail(review.error().with_context("checking permissions"));
  }
  RulesAnswer answer;
  if (const SecretJson* rules = find_at(*review, {"status", "resourceRules"}); rules != nullptr && rules->is_array()) {
    answer.rules = *rules;
  }
  const SecretJson* incomplete = find_at(*review, {"status", "incomplete"});
  answer.complete = incomplete != nullptr && incomplete->is_boolean() && !incomplete->get<bool>();
  if (!answer.complete) {
    spdlog::debug("kubernetes: the rules review of namespace {} is incomplete ({}); asking access reviews for what "
                  "its rules do not grant",
                  ns, string_at(*review, {"status", "evaluationError"}));
  }
  return std::optional<RulesAnswer>{std::move(answer)};
}

}  // namespace

bool rules_grant(const SecretJson& resource_rules, const AccessCheck& check) {
  if (!resource_rules.is_array()) return false;
  for (const auto& rule : resource_rules) {
    if (!rule.is_object()) continue;
    if (!lists(rule, "verbs", check.verb) || !lists(rule, "apiGroups", check.group) ||
        !lists(rule, "resources", check.resource)) {
      continue;
    }
    // resourceNames limit a rule to those objects; a check for any object (create, list) needs a
    // rule without names, as RBAC decides.
    const auto names = rule.find("resourceNames");
    if (names == rule.end() || !names->is_array() || names->empty()) return true;
    if (!check.name.empty() && lists(rule, "resourceNames", check.name, false)) return true;
  }
  return false;
}

Result<AccessResult> check_access(KubeApi& api, std::string_view ns, const std::vector<AccessCheck>& checks) {
  AccessResult result;
  std::vector<std::string> missing;
  KEYD_ASSIGN_OR_RETURN(const auto rules, review_rules(api, ns));
  for (const auto& check : checks) {
    bool granted = rules && rules_grant(rules->rules, check);
    if (!granted && (!rules || !rules->complete)) {
      auto review = api.create(k_access_review_path, review_body(ns, check));
      if (!review) return fail(review.error().with_context("checking permissions"));
      const SecretJson* allowed = find_at(*review, {"status", "allowed"});
      granted = allowed != nullptr && allowed->is_boolean() && allowed->get<bool>();
    }
    if (granted) continue;
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
