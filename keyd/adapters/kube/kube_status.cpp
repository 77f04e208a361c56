#include "kube_status.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace keyd::adapters::kube {

namespace {

constexpr std::size_t k_max_error_text = 400;

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

std::string text_of(const SecretJson& value) {
  if (!value.is_string()) return {};
  const auto& s = value.get_ref<const detail::WipedString&>();
  return std::string(s.begin(), s.end());
}

std::string clip(std::string text) {
  if (text.size() > k_max_error_text) text = text.substr(0, k_max_error_text) + "…";
  return text;
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

std::string secrets_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/secrets", ns); }
std::string secret_path(std::string_view ns, std::string_view name) {
  return fmt::format("/api/v1/namespaces/{}/secrets/{}", ns, name);
}
std::string workload_path(const WorkloadType& type, std::string_view ns, std::string_view name) {
  return fmt::format("/apis/apps/v1/namespaces/{}/{}/{}", ns, type.resource, name);
}
std::string pods_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/pods", ns); }
std::string pod_path(std::string_view ns, std::string_view name) {
  return fmt::format("/api/v1/namespaces/{}/pods/{}", ns, name);
}
std::string events_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/events", ns); }

std::string query_escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

Status check_object_name(std::string_view what, std::string_view name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const bool ok = !name.empty() && name.size() <= 253 && alnum(name.front()) && alnum(name.back()) &&
                  std::ranges::all_of(name, [&](char c) { return alnum(c) || c == '-' || c == '.'; });
  if (ok) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("{} {:?} is not a valid Kubernetes name (lower-case letters, digits, '-' and '.', "
                          "starting and ending with a letter or digit)",
                          what, name));
}

Status check_data_key(std::string_view key) {
  const bool ok = !key.empty() && key.size() <= 253 && key != "." && key != ".." &&
                  std::ranges::all_of(key, [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
                  });
  if (ok) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("Secret key {:?} is not valid (letters, digits, '-', '.' and '_' only)", key));
}

Result<std::string> selector_string(const SecretJson& selector) {
  std::vector<std::string> terms;
  if (const auto* labels = find_at(selector, {"matchLabels"}); labels != nullptr && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) terms.push_back(fmt::format("{}={}", std::string(k.begin(), k.end()), text_of(v)));
  }
  if (const auto* exprs = find_at(selector, {"matchExpressions"}); exprs != nullptr && exprs->is_array()) {
    for (const auto& e : *exprs) {
      const std::string key = string_at(e, {"key"});
      const std::string op = string_at(e, {"operator"});
      std::vector<std::string> values;
      if (const auto* vs = find_at(e, {"values"}); vs != nullptr && vs->is_array()) {
        for (const auto& v : *vs) values.push_back(text_of(v));
      }
      if (op == "In" || op == "NotIn") {
        terms.push_back(fmt::format("{} {} ({})", key, op == "In" ? "in" : "notin", fmt::join(values, ",")));
      } else if (op == "Exists") {
        terms.push_back(key);
      } else if (op == "DoesNotExist") {
        terms.push_back("!" + key);
      } else {
        return fail(ErrorCode::invalid_input, fmt::format("selector operator {:?} is not supported", op));
      }
    }
  }
  if (terms.empty()) return fail(ErrorCode::invalid_input, "the workload has an empty selector");
  return fmt::format("{}", fmt::join(terms, ","));
}

Secret to_body(const SecretJson& doc) {
  const auto text = doc.dump();
  return Secret(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<SecretJson> parse_json(const Secret& body, std::string_view what) {
  auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::unavailable, fmt::format("{}: the response is not a JSON object", what));
  }
  return doc;
}

const SecretJson* find_at(const SecretJson& doc, std::initializer_list<const char*> path) {
  const SecretJson* at = &doc;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::string string_at(const SecretJson& doc, std::initializer_list<const char*> path) {
  const SecretJson* at = find_at(doc, path);
  return at != nullptr ? text_of(*at) : std::string();
}

std::int64_t int_at(const SecretJson& doc, std::initializer_list<const char*> path, std::int64_t fallback) {
  const SecretJson* at = find_at(doc, path);
  return at != nullptr && at->is_number_integer() ? at->get<std::int64_t>() : fallback;
}

detail::WipedString wiped(std::string_view text) { return detail::WipedString(text.begin(), text.end()); }

ApiStatus parse_status(const Secret& body) {
  ApiStatus out;
  const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  if (!doc.is_object()) return out;
  out.message = string_at(doc, {"message"});
  out.reason = string_at(doc, {"reason"});
  if (const auto* causes = find_at(doc, {"details", "causes"}); causes != nullptr && causes->is_array()) {
    for (const auto& c : *causes) {
      const std::string field = string_at(c, {"field"});
      const std::string message = string_at(c, {"message"});
      out.causes.push_back(field.empty() ? message : field + ": " + message);
    }
  }
  return out;
}

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

Error status_error(std::string_view what, int status, const Secret& body) {
  const ApiStatus st = parse_status(body);
  std::string detail = st.message;
  for (const auto& cause : st.causes) {
    if (detail.find(cause) == std::string::npos) detail += (detail.empty() ? "" : "; ") + cause;
  }
  ErrorCode code = ErrorCode::internal;
  std::string fallback;
  switch (status) {
    case 404:
      code = ErrorCode::not_found;
      fallback = "not found";
      break;
    case 409:
      code = ErrorCode::conflict;
      fallback = "conflict";
      break;
    case 401:
      code = ErrorCode::unauthorized;
      fallback = "Unauthorized";
      break;
    case 403:
      code = ErrorCode::unauthorized;
      fallback = "forbidden";
      break;
    case 400:
    case 415:
    case 422:
      code = ErrorCode::invalid_input;
      fallback = "invalid request";
      break;
    default:
      code = is_retryable_status(status) ? ErrorCode::unavailable : ErrorCode::internal;
      fallback = is_retryable_status(status) ? "the API server is unavailable" : "unexpected status";
      break;
  }
  return Error{code, fmt::format("{}: {} {}", what, status, clip(detail.empty() ? fallback : detail))};
}

}  // namespace keyd::adapters::kube
