// Network addresses: the one answer to "is this host loopback?", for the URLs keyd may reach over
// plain http (a Vault or keyd daemon on the same machine) and for the multiaddrs `keyd bundle`
// renders. Pure text checks: nothing is resolved.
#pragma once

#include <string_view>

namespace keyd {

// A loopback host as URLs and multiaddrs write it: localhost, 127.0.0.0/8 in dotted digits,
// ::1 bare or in brackets ([::1]). "127.0.0.1.example.com" is not.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// The host of "scheme://host[:port][/path][?query][#fragment]", brackets kept ("[::1]"); the text
// after "://" up to the first of ":/?#" (or the closing ']'). Empty when there is no "://".
[[nodiscard]] std::string_view url_host(std::string_view url);

// is_loopback_host(url_host(url)).
[[nodiscard]] bool is_loopback_url(std::string_view url);

// A validated multiaddr whose first component is /ip4/ or /ip6/ with a loopback host
// (/ip4/127.0.0.1/tcp/5001, /ip6/::1/tcp/5001).
[[nodiscard]] bool multiaddr_is_loopback(std::string_view multiaddr);

}  // namespace keyd
