#include "kube_json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

namespace keyd::adapters::kube {

namespace {

std::string text_of(const SecretJson& value) {
  if (!value.is_string()) return {};
  const auto& s = value.get_ref<const detail::WipedString&>();
  return std::string(s.begin(), s.end());
}

}  // namespace

Result<std::string> selector_string(const SecretJson& selector) {
  std::vector<std::string> terms;
  if (const auto* labels = find_at(selector, {"matchLabels"}); labels != nullptr && labels->is_object()) {
    for (const auto& [k, v] : labels->items())
      terms.push_back(fmt::format("{}={}", std::string(k.begin(), k.end()), text_of(v)));
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
  // Bytes that are not UTF-8 become U+FFFD instead of making dump() throw (type_error 316). The
  // bodies' text comes from keyd's config (read as UTF-8 only) and the API server's own JSON.
  const auto text = doc.dump(-1, ' ', false, SecretJson::error_handler_t::replace);
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

}  // namespace keyd::adapters::kube
