// URL work for the curl transport: the form of a URL that may be logged, and the rewrite that
// makes TLS verify a certificate against a configured server name instead of the URL's host.
#pragma once

#include "keyd/common/result.hpp"

#include <string>
#include <string_view>

namespace keyd::adapters::detail {

// The URL as it may appear in messages and logs: without user info, query or fragment (query
// strings can carry tokens or wrapping ids).
[[nodiscard]] std::string display_url(std::string_view url);

struct RequestTarget {
  std::string url;          // the URL curl requests
  std::string connect_to;   // a CURLOPT_CONNECT_TO entry, or empty
  std::string host_header;  // a "Host: ..." request header, or empty
};

// libcurl verifies the certificate (and sends SNI) for the host of the URL it requests, and has no
// option to name another host. So for https with a server name that differs from the URL's host,
// the URL's host is replaced by the server name, CURLOPT_CONNECT_TO routes "name:port" back to the
// original host and port, and the Host header keeps the original authority (as Go's
// tls.Config.ServerName does). Otherwise the URL is returned unchanged. invalid_input for a URL or
// server name that curl cannot parse.
[[nodiscard]] Result<RequestTarget> request_target(const std::string& url, const std::string& server_name);

}  // namespace keyd::adapters::detail
