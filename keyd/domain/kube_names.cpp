#include "keyd/domain/kube_names.hpp"

#include <algorithm>

namespace keyd::domain {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One '.'-free part of a name: starts and ends with a letter or digit, '-' inside.
bool label_chars(std::string_view s) {
  return !s.empty() && lower_alnum(s.front()) && lower_alnum(s.back()) &&
         std::ranges::all_of(s, [](char c) { return lower_alnum(c) || c == '-'; });
}

}  // namespace

bool is_dns_label(std::string_view name) noexcept { return name.size() <= k_max_dns_label && label_chars(name); }

bool is_dns_subdomain(std::string_view name) noexcept {
  if (name.empty() || name.size() > k_max_dns_subdomain) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    if (!label_chars(name.substr(start, dot - start))) return false;
    start = dot + 1;
  }
  return true;
}

bool is_secret_data_key(std::string_view key) noexcept {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  };
  return !key.empty() && key.size() <= k_max_dns_subdomain && key != "." && key != ".." &&
         std::ranges::all_of(key, allowed);
}

}  // namespace keyd::domain
