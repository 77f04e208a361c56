#include "request_checks.hpp"

#include <algorithm>
#include <cctype>

namespace keyd::adapters::http {

namespace {

bool segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool starts_with_bearer(std::string_view value) {
  constexpr std::string_view k_bearer = "Bearer ";
  return value.size() > k_bearer.size() && std::equal(k_bearer.begin(), k_bearer.end(), value.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

bool canonical_path(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/") return true;
  if (!path.starts_with('/')) return false;
  path.remove_prefix(1);
  for (;;) {
    const std::size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.empty() || segment == "." || segment == ".." || !std::ranges::all_of(segment, segment_char)) {
      return false;
    }
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

bool plausible_token(std::string_view token) {
  return std::ranges::all_of(token, [](char c) { return c > ' ' && c < '\x7f'; });
}

ports::Authentication authenticate(const RequestHead& head, const Authenticators& authenticators) {
  using Kind = ports::Authentication::Kind;
  // The values are byte-exact: "Bearer good\0junk" is not cut at its NUL into "Bearer good".
  const auto values = head.values("Authorization");
  if (values.empty()) return {};
  if (values.size() > 1) return {Kind::rejected, std::nullopt, "more than one Authorization header"};
  const std::string_view value = values.front();
  if (!starts_with_bearer(value) || value.size() > k_max_token_length) {
    return {Kind::rejected, std::nullopt, "not a bearer token"};
  }
  const std::string_view token = value.substr(7);
  if (!plausible_token(token)) return {Kind::rejected, std::nullopt, "control characters in the bearer token"};
  std::string unavailable;
  for (const auto& a : authenticators) {
    auto result = a->authenticate(token);
    if (!result) {
      unavailable = result.error().message;
      continue;
    }
    if (*result) return {Kind::ok, std::move(*result), {}};
  }
  if (!unavailable.empty()) return {Kind::unavailable, std::nullopt, unavailable};
  return {Kind::rejected, std::nullopt, "unknown token"};
}

}  // namespace keyd::adapters::http
