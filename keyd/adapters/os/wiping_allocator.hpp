// An allocator that zeroes memory before releasing it, and the JSON type built on it, for
// documents that carry key material (the file store's records, Vault request and response bodies).
// Every string, object and array of a SecretJson lives in wiped memory, including the copies left
// behind when a container grows.
#pragma once

#include "keyd/common/secret.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters::detail {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  explicit(false) WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_zero(static_cast<void*>(p), n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using WipedBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
using WipedString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// nlohmann::json whose every allocation is wiped on release.
using SecretJson = nlohmann::basic_json<std::map, std::vector, WipedString, bool, std::int64_t, std::uint64_t, double,
                                        WipingAllocator, nlohmann::adl_serializer, WipedBytes>;

// A member of an object when it has the type asked for, else `fallback`. json::value() throws
// type_error on a member of another type ("version":"3"), and a hostile or broken server chooses
// the types (found by tests/fuzz/mcp_tools_fuzz).
[[nodiscard]] inline int int_member(const SecretJson& object, const char* key, int fallback) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return fallback;
  if (it->is_number_unsigned()) return static_cast<int>(std::min<std::uint64_t>(it->get<std::uint64_t>(), INT_MAX));
  return static_cast<int>(std::clamp<std::int64_t>(it->get<std::int64_t>(), INT_MIN, INT_MAX));
}
[[nodiscard]] inline bool bool_member(const SecretJson& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace keyd::adapters::detail
