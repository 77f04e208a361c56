#include "keyd/server/responses.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>

namespace keyd::server {

namespace {

using nlohmann::json;
using ports::ApiResponse;

json time_json(const std::optional<domain::TimePoint>& t) {
  return t ? json(ports::format_rfc3339(*t)) : json(nullptr);
}

// The body as JSON text. Messages and stored fields can quote text from outside keyd (a backend's
// answer, a file name): bytes that are not UTF-8 become U+FFFD instead of making dump() throw.
std::string dump_text(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

ApiResponse json_response(int status, const json& body) {
  return ApiResponse{status, "application/json", dump_text(body) + "\n"};
}

// {"<outcome>": count, ...} of a count map keyed by an outcome enum (its to_string() names).
template <typename Outcome>
json counts_json(const std::map<Outcome, std::uint64_t>& counts) {
  json out = json::object();
  for (const auto& [outcome, n] : counts) out[std::string(to_string(outcome))] = n;
  return out;
}

json targets_json(const std::vector<app::TargetState>& targets) {
  json out = json::array();
  for (const app::TargetState& t : targets) {
    out.push_back({{"target", t.target},
                   {"state", to_string(t.state)},
                   {"version", t.version},
                   {"error", t.error},
                   {"last_checked", time_json(t.last_checked)},
                   {"syncs", counts_json(t.syncs)}});
  }
  return out;
}

json swarm_json(const app::SwarmState& s, domain::TimePoint now) {
  json rotation = nullptr;
  if (s.schedule) {
    rotation = {{"due", ports::format_rfc3339(s.schedule->due)},
                {"next", ports::format_rfc3339(s.schedule->next)},
                {"window", s.window.empty() ? json(nullptr) : json(s.window)}};
  }
  json age = nullptr;
  if (s.created) age = std::chrono::duration_cast<std::chrono::seconds>(now - *s.created).count();
  return {{"name", s.name},
          {"path", s.path},
          {"version", s.version},
          {"fingerprint", s.fingerprint},
          {"created", time_json(s.created)},
          {"age_seconds", age},
          {"rotation", rotation},
          {"targets", targets_json(s.targets)},
          {"store_reachable", s.store_reachable},
          {"store_integrity_error", s.store_integrity_error},
          {"consecutive_failures", s.consecutive_failures},
          {"last_error", s.last_error},
          {"last_check", time_json(s.last_check)},
          {"next_check", ports::format_rfc3339(s.next_check)},
          {"rotations", counts_json(s.rotations)}};
}

json readiness_json(const app::SwarmState& s) {
  return {{"name", s.name},
          {"checked", s.last_check.has_value()},
          {"store_reachable", s.store_reachable},
          {"store_integrity_error", s.store_integrity_error},
          {"consecutive_failures", s.consecutive_failures},
          {"last_error", s.last_error},
          {"next_check", ports::format_rfc3339(s.next_check)}};
}

}  // namespace

ApiResponse error_response(int status, std::string_view code, std::string_view message) {
  return json_response(status, json{{"error", {{"code", code}, {"message", message}}}});
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::unauthorized:
      return 502;  // keyd's own credentials were refused upstream
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::timeout:
      return 504;
    case ErrorCode::invalid_input:
    case ErrorCode::invalid_config:
      return 400;
    case ErrorCode::integrity:
    case ErrorCode::io:
    case ErrorCode::internal:
      break;
  }
  return 500;
}

ApiResponse from_error(const Error& error) {
  return error_response(http_status(error.code), to_string(error.code), error.message);
}

ApiResponse health_response() { return json_response(200, json{{"status", "ok"}}); }

ApiResponse swarms_response(const std::vector<app::SwarmState>& swarms, domain::TimePoint now) {
  json list = json::array();
  for (const app::SwarmState& s : swarms) list.push_back(swarm_json(s, now));
  return json_response(200, json{{"swarms", list}});
}

ApiResponse swarm_response(const app::SwarmState& swarm, domain::TimePoint now) {
  return json_response(200, swarm_json(swarm, now));
}

ApiResponse report_response(const app::KeyReport& r) {
  json targets = json::array();
  for (const app::TargetReport& t : r.targets) {
    targets.push_back({{"target", t.target}, {"outcome", to_string(t.outcome)}, {"error", t.error}});
  }
  const json body{{"swarm", r.swarm},   {"version", r.version},   {"fingerprint", r.fingerprint},
                  {"reason", r.reason}, {"warnings", r.warnings}, {"targets", targets}};
  return json_response(r.failed_targets() > 0 ? 502 : 200, body);
}

ApiResponse readyz_response(const app::DaemonView& view) {
  // Only swarms checked so far count: a long first pass does not keep the daemon unready, and a
  // store that failed for a swarm it did check does.
  std::size_t checked = 0;
  bool store_ok = true;
  bool damaged = false;
  json swarms = json::array();
  for (const app::SwarmState& s : view.swarms) {
    if (s.last_check.has_value()) {
      ++checked;
      store_ok = store_ok && s.store_reachable;
      damaged = damaged || s.store_integrity_error;
    }
    swarms.push_back(readiness_json(s));
  }
  const ports::LeadershipStatus& leadership = view.leadership;
  const bool ready = checked > 0 && store_ok && !damaged && leadership.known;
  const json body{{"ready", ready},
                  {"config", "loaded"},
                  {"store", checked == 0 ? "not checked yet"
                            : !store_ok  ? "unreachable"
                            : damaged    ? "integrity error (see swarms[].last_error)"
                                         : "reachable"},
                  {"first_pass",
                   {{"checked", checked}, {"swarms", view.swarms.size()}, {"complete", checked == view.swarms.size()}}},
                  {"leadership", !leadership.known    ? "unknown"
                                 : leadership.leading ? "leader"
                                                      : "follower"},
                  {"leader", leadership.holder},
                  {"leadership_error", leadership.error},
                  {"swarms", swarms}};
  return json_response(ready ? 200 : 503, body);
}

void append_json_escaped(std::string& out, std::string_view text) {
  constexpr std::string_view k_hex = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20) {
      out += "\\u00";
      out += k_hex[byte >> 4U];
      out += k_hex[byte & 0xfU];
    } else {
      out += c;
    }
  }
}

ApiResponse key_response(std::string_view swarm, const ports::StoredVersion& stored) {
  std::string head = dump_text(json{{"swarm", swarm},
                          {"version", stored.info.version},
                          {"fingerprint", stored.data.fingerprint},
                          {"created_time", stored.info.created_time}});
  head.pop_back();  // the closing brace: the key goes last
  const std::string_view key = stored.data.key_text.reveal_text();
  std::string out;
  out.reserve(head.size() + 6 * key.size() + 16);
  out += head;
  out += R"(,"key":")";
  append_json_escaped(out, key);
  out += "\"}\n";
  return ApiResponse{200, "application/json", std::move(out), {{"Cache-Control", "no-store"}}};
}

}  // namespace keyd::server
