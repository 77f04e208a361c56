// Kubernetes JSON bodies in wiped memory: parsing, serialising, field access and label selectors.
#pragma once

#include "../os/wiping_allocator.hpp"
#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace keyd::adapters::kube {

using detail::SecretJson;

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

}  // namespace keyd::adapters::kube
