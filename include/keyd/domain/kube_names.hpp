// Kubernetes names as the API server validates them: one rule set for the config (which reports
// them with line and column) and the kubernetes adapter (which checks the options it is given).
// Pure: text in, yes or no out.
#pragma once

#include <cstddef>
#include <string_view>

namespace keyd::domain {

inline constexpr std::size_t k_max_dns_label = 63;
inline constexpr std::size_t k_max_dns_subdomain = 253;

// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters (namespaces).
[[nodiscard]] bool is_dns_label(std::string_view name) noexcept;

// RFC 1123 subdomain: labels joined by '.', at most 253 characters (Secret and workload names).
[[nodiscard]] bool is_dns_subdomain(std::string_view name) noexcept;

// A Secret data key: [-._a-zA-Z0-9]+, not "." or "..", at most 253 characters.
[[nodiscard]] bool is_secret_data_key(std::string_view key) noexcept;

}  // namespace keyd::domain
