// What the daemon's HTTP server refuses before routing or authenticating (issue 15 item 8):
// request paths that are not spelt the one way keyd's API spells them, and bearer tokens with
// characters no token has.
#pragma once

#include <string_view>

namespace keyd::adapters::http {

// The path of a raw request target (up to '?'): "/", or '/'-separated segments of
// [A-Za-z0-9._~-], none empty, "." or "..", and no trailing '/'. So "/v1/swarms/s1%2Fkey",
// "//v1/swarms" and "/healthz/" are not canonical: the server answers 404 without decoding them
// into another path.
[[nodiscard]] bool canonical_path(std::string_view target);

// A bearer token's characters: visible ASCII only (no NUL, control characters, blanks or DEL).
[[nodiscard]] bool plausible_token(std::string_view token);

}  // namespace keyd::adapters::http
