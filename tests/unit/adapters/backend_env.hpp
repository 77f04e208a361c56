// A fake process environment for the store backends' homes (adapters::EnvLookup over a map).
#pragma once

#include "keyd/adapters/backend/store_backend.hpp"

#include <map>
#include <string>

namespace keyd::adapters::backend_test {

using EnvMap = std::map<std::string, std::string, std::less<>>;

// The lookup keeps a copy of the map, so it may outlive the argument.
inline EnvLookup env_of(EnvMap vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string_view> {
    const auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return std::string_view(found->second);
  };
}

}  // namespace keyd::adapters::backend_test
