// The daemon API's answers as HTTP responses with JSON bodies: errors, swarm states, rotation
// reports, readiness and the key. Never key material except in key_response().
#pragma once

#include "keyd/app/daemon_service.hpp"
#include "keyd/ports/api.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace keyd::server {

// {"error":{"code":…,"message":…}}
[[nodiscard]] ports::ApiResponse error_response(int status, std::string_view code, std::string_view message);
// An error's HTTP status: not_found 404, conflict 409, unauthorized 502 (keyd's own credentials were
// refused upstream), unavailable 503, timeout 504, invalid input or config 400, anything else 500.
[[nodiscard]] int http_status(ErrorCode code);
[[nodiscard]] ports::ApiResponse from_error(const Error& error);

[[nodiscard]] ports::ApiResponse health_response();  // {"status":"ok"}
// {"swarms":[…]}, and one swarm; `now` gives age_seconds.
[[nodiscard]] ports::ApiResponse swarms_response(const std::vector<app::SwarmState>& swarms, domain::TimePoint now);
[[nodiscard]] ports::ApiResponse swarm_response(const app::SwarmState& swarm, domain::TimePoint now);
// 200, or 502 when a target failed.
[[nodiscard]] ports::ApiResponse report_response(const app::KeyReport& report);
// 200 once a swarm was checked, every checked store was reachable and undamaged and the
// leadership is known; 503 otherwise. The body says which.
[[nodiscard]] ports::ApiResponse readyz_response(const app::DaemonView& view);
// {"swarm","version","fingerprint","created_time","key"} with Cache-Control: no-store.
[[nodiscard]] ports::ApiResponse key_response(std::string_view swarm, const ports::StoredVersion& stored);

// JSON string escaping of `text` appended to `out`, which the caller reserved (6 bytes per input
// byte at most): key text is appended without reallocating, so no unwiped copy is left behind.
// Not nlohmann's: it would copy the key into a std::string of its own (freed unwiped), and it
// escapes differently (\t, not \u0009) and throws on bytes that are not UTF-8.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace keyd::server
