// What the daemon's HTTP server refuses before routing or authenticating (issue 15 item 8):
// request paths that are not spelt the one way keyd's API spells them, and bearer tokens with
// characters no token has; and the Authorization header turned into an Authentication.
#pragma once

#include "request_parser.hpp"

#include "keyd/ports/api.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace keyd::adapters::http {

// The path of a raw request target (up to '?'): "/", or '/'-separated segments of
// [A-Za-z0-9._~-], none empty, "." or "..", and no trailing '/'. So "/v1/swarms/s1%2Fkey",
// "//v1/swarms" and "/healthz/" are not canonical: the server answers 404 without decoding them
// into another path.
[[nodiscard]] bool canonical_path(std::string_view target);

// A bearer token's characters: visible ASCII only (no NUL, control characters, blanks or DEL).
[[nodiscard]] bool plausible_token(std::string_view token);

inline constexpr std::size_t k_max_token_length = 16 * 1024;
using Authenticators = std::vector<std::shared_ptr<ports::Authenticator>>;

// The request's caller: none without an Authorization header; rejected for several headers, a
// scheme other than Bearer (any case), a token over k_max_token_length or not plausible, or one no
// authenticator knows; unavailable when an authenticator could not tell and none knew the token.
[[nodiscard]] ports::Authentication authenticate(const RequestHead& head, const Authenticators& authenticators);

}  // namespace keyd::adapters::http
