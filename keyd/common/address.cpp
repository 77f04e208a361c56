#include "keyd/common/address.hpp"

#include <algorithm>

namespace keyd {

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  return host.starts_with("127.") &&
         std::ranges::all_of(host, [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

std::string_view url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.starts_with('[')) return rest.substr(0, rest.find(']') + 1);  // no ']': npos + 1 = 0, so ""
  return rest.substr(0, rest.find(':'));
}

bool is_loopback_url(std::string_view url) { return is_loopback_host(url_host(url)); }

bool multiaddr_is_loopback(std::string_view multiaddr) {
  for (const std::string_view protocol : {"/ip4/", "/ip6/"}) {
    if (!multiaddr.starts_with(protocol)) continue;
    const std::string_view rest = multiaddr.substr(protocol.size());
    return is_loopback_host(rest.substr(0, rest.find('/')));
  }
  return false;
}

}  // namespace keyd
