#include "keyd/app/daemon_service.hpp"

#include "audit_entries.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace keyd::app {

namespace {

using nlohmann::json;
using ports::ApiRequest;
using ports::ApiResponse;

double unix_seconds(domain::TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

json time_json(const std::optional<domain::TimePoint>& t) {
  return t ? json(ports::format_rfc3339(*t)) : json(nullptr);
}

ApiResponse json_response(int status, const json& body) {
  return ApiResponse{status, "application/json", body.dump() + "\n"};
}

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

// {"<outcome>": count, ...} of a count map keyed by an outcome enum.
template <typename Outcome>
json counts_json(const std::map<Outcome, std::uint64_t>& counts) {
  json out = json::object();
  for (const auto& [outcome, n] : counts) out[std::string(to_string(outcome))] = n;
  return out;
}

json swarm_json(const SwarmState& s, domain::TimePoint now) {
  json targets = json::array();
  for (const TargetState& t : s.targets) {
    targets.push_back({{"target", t.target},
                       {"state", to_string(t.state)},
                       {"version", t.version},
                       {"error", t.error},
                       {"last_checked", time_json(t.last_checked)},
                       {"syncs", counts_json(t.syncs)}});
  }
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
          {"targets", targets},
          {"store_reachable", s.store_reachable},
          {"store_integrity_error", s.store_integrity_error},
          {"consecutive_failures", s.consecutive_failures},
          {"last_error", s.last_error},
          {"last_check", time_json(s.last_check)},
          {"next_check", ports::format_rfc3339(s.next_check)},
          {"rotations", counts_json(s.rotations)}};
}

json report_json(const KeyReport& r) {
  json targets = json::array();
  for (const TargetReport& t : r.targets)
    targets.push_back({{"target", t.target}, {"outcome", to_string(t.outcome)}, {"error", t.error}});
  return {{"swarm", r.swarm},   {"version", r.version},   {"fingerprint", r.fingerprint},
          {"reason", r.reason}, {"warnings", r.warnings}, {"targets", targets}};
}

// 401/503 when the request is not authenticated; nullopt when it is. Grants are checked per endpoint.
std::optional<ApiResponse> refuse(const ApiRequest& request) {
  using Kind = ports::Authentication::Kind;
  switch (request.auth.kind) {
    case Kind::none:
      return error_response(401, "unauthenticated", "send Authorization: Bearer <token>");
    case Kind::rejected:
      return error_response(401, "unauthenticated", "the bearer token was not accepted");
    case Kind::unavailable:
      return error_response(503, "unavailable", "the bearer token cannot be checked now: " + request.auth.reason);
    case Kind::ok:
      break;
  }
  return std::nullopt;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

std::string label(std::string_view value) { return prometheus_escape(value); }

// JSON string escaping into `out`, which the caller reserved: for key text, appended without
// reallocating so no unwiped copy is left behind.
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

// {"swarm","version","fingerprint","created_time","key"}: the one answer that carries a key.
std::string key_body(std::string_view swarm, const ports::StoredVersion& stored) {
  std::string head = json{{"swarm", swarm},
                          {"version", stored.info.version},
                          {"fingerprint", stored.data.fingerprint},
                          {"created_time", stored.info.created_time}}
                         .dump();
  head.pop_back();  // the closing brace: the key goes last
  const std::string_view key = stored.data.key_text.reveal_text();
  std::string out;
  out.reserve(head.size() + 6 * key.size() + 16);
  out += head;
  out += R"(,"key":")";
  append_json_escaped(out, key);
  out += "\"}\n";
  return out;
}

}  // namespace

Result<ports::PathMetadata> SerialisedStore::metadata(std::string_view path) {
  const std::lock_guard lock(m_mutex);
  return m_inner.metadata(path);
}

Result<ports::StoredVersion> SerialisedStore::read(std::string_view path, std::optional<int> version) {
  const std::lock_guard lock(m_mutex);
  return m_inner.read(path, version);
}

Result<int> SerialisedStore::write(std::string_view path, const ports::VersionData& data, int cas) {
  const std::lock_guard lock(m_mutex);
  return m_inner.write(path, data, cas);
}

DaemonService::DaemonService(std::unique_ptr<Reconciler> reconciler, std::shared_ptr<StoreMetrics> store_metrics,
                             const ports::Clock& clock, std::string version, std::optional<KeyAccess> keys)
    : m_reconciler(std::move(reconciler)),
      m_store_metrics(std::move(store_metrics)),
      m_clock(clock),
      m_version(std::move(version)),
      m_keys(std::move(keys)) {
  m_swarms = m_reconciler->snapshot();
}

domain::TimePoint DaemonService::tick() {
  std::unique_lock work(m_work);
  if (m_stopping.load()) return m_clock.now();
  m_reconciler->set_leader(m_leading.load());
  // Each swarm's state is published as soon as it is checked (one copy, not the whole list), so
  // /readyz and /v1/swarms follow a long pass as it goes.
  return m_reconciler->tick([&](std::size_t index, const SwarmState& state) {
    {
      const std::lock_guard view(m_view);
      if (index < m_swarms.size()) m_swarms[index] = state;
    }
    if (m_stopping.load()) return false;
    // Hand the work over to a waiting rotate or sync (the mutex is fair: it goes first), then
    // carry on with the leadership as it is now: one lost in the middle of a pass stops writes.
    work.unlock();
    work.lock();
    m_reconciler->set_leader(m_leading.load());
    return !m_stopping.load();
  });
}

void DaemonService::request_stop() { m_stopping.store(true); }

void DaemonService::set_leadership(const ports::LeadershipStatus& status) {
  // Not behind m_work: the elector must never wait for a long delivery. The reconciler picks the
  // new value up at the start of its next tick or API action.
  m_leading.store(status.leading);
  const std::lock_guard view(m_view);
  m_leadership = status;
}

void DaemonService::publish() {
  auto swarms = m_reconciler->snapshot();
  const std::lock_guard view(m_view);
  m_swarms = std::move(swarms);
}

std::vector<SwarmState> DaemonService::swarms() const {
  const std::lock_guard view(m_view);
  return m_swarms;
}

ApiResponse DaemonService::handle(const ApiRequest& request) {
  const auto parts = segments(request.path);
  const auto method_not_allowed = [&](std::string_view allowed) {
    return error_response(405, "method_not_allowed",
                          fmt::format("{} {}: use {}", request.method, request.path, allowed));
  };
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "readyz" || parts[0] == "metrics")) {
    if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
    if (parts[0] == "healthz") return json_response(200, json{{"status", "ok"}});
    if (parts[0] == "readyz") return readyz();
    return ApiResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
  }
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "swarms" || parts.size() > 4) {
    return error_response(404, "not_found", fmt::format("no such resource: {}", request.path));
  }
  if (parts.size() == 4 && parts[3] == "key") {
    if (request.method != "GET") return method_not_allowed("GET");
    if (auto refused = refuse(request)) return *refused;
    return read_key(request, parts[2]);
  }
  if (parts.size() == 4) {
    if (parts[3] != "rotate" && parts[3] != "sync") {
      return error_response(404, "not_found", fmt::format("no such resource: {}", request.path));
    }
    if (request.method != "POST") return method_not_allowed("POST");
    if (auto refused = refuse(request)) return *refused;
    if (auto refused = refuse_action(request, parts[2], parts[3])) return *refused;
    return swarm_action(request, parts[2], parts[3]);
  }
  if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
  if (auto refused = refuse(request)) return *refused;  // any authenticated caller may list: no keys in it
  const auto now = m_clock.now();
  const auto all = swarms();
  if (parts.size() == 2) {
    json list = json::array();
    for (const SwarmState& s : all) list.push_back(swarm_json(s, now));
    return json_response(200, json{{"swarms", list}});
  }
  const auto it = std::ranges::find_if(all, [&](const SwarmState& s) { return s.name == parts[2]; });
  if (it == all.end()) return error_response(404, "not_found", fmt::format("no swarm named '{}'", parts[2]));
  return json_response(200, swarm_json(*it, now));
}

std::optional<ApiResponse> DaemonService::refuse_action(const ApiRequest& request, std::string_view name,
                                                        std::string_view action) {
  const ports::Caller& caller = *request.auth.caller;
  const auto all = swarms();
  if (std::ranges::none_of(all, [&](const SwarmState& s) { return s.name == name; })) {
    return error_response(404, "not_found", fmt::format("no swarm named '{}'", name));
  }
  const KeyReaders* swarm = nullptr;
  if (m_keys) {
    const auto it = std::ranges::find_if(m_keys->swarms, [&](const KeyReaders& k) { return k.swarm == name; });
    if (it != m_keys->swarms.end()) swarm = &*it;
  }
  std::string message;
  if (swarm == nullptr || std::ranges::find(swarm->operators, caller.name) == swarm->operators.end()) {
    message = fmt::format("caller {} is not an operator of swarm {} (swarms[].operators)", caller.name, name);
  } else if (!caller.may_write) {
    message = fmt::format("caller {} may not {} (not in server.auth.tokenreview.allowed_users)", caller.name, action);
  } else {
    return std::nullopt;
  }
  spdlog::warn("api: {}: refused to {} swarm {}: {}", caller.actor(), action, name, message);
  if (m_keys) {
    Context ctx{m_keys->store, m_keys->audit, m_clock, caller.actor()};
    (void)detail::audit_failure(ctx, {action, name, std::nullopt, {}, {}},
                                Error{ErrorCode::unauthorized, message});
  }
  return error_response(403, "forbidden", message);
}

ApiResponse DaemonService::swarm_action(const ApiRequest& request, std::string_view name, std::string_view action) {
  const std::string caller = request.auth.caller->actor();
  spdlog::info("api: {} asks to {} swarm {}", caller, action, name);
  const std::lock_guard work(m_work);
  m_reconciler->set_leader(m_leading.load());
  if (!m_reconciler->has_swarm(name)) return error_response(404, "not_found", fmt::format("no swarm named '{}'", name));
  ApiResponse response;
  if (action == "rotate") {
    auto report = m_reconciler->rotate(name, caller);
    response = report ? json_response(report->failed_targets() > 0 ? 502 : 200, report_json(*report))
                      : from_error(report.error());
  } else {
    auto state = m_reconciler->sync(name, caller);
    response = state ? json_response(200, swarm_json(*state, m_clock.now())) : from_error(state.error());
  }
  publish();
  return response;
}

ApiResponse DaemonService::read_key(const ApiRequest& request, std::string_view name) {
  const ports::Caller& caller = *request.auth.caller;
  const std::string actor = caller.actor();
  const auto all = swarms();
  if (std::ranges::none_of(all, [&](const SwarmState& s) { return s.name == name; })) {
    return error_response(404, "not_found", fmt::format("no swarm named '{}'", name));
  }
  const KeyReaders* swarm = nullptr;
  if (m_keys) {
    const auto it = std::ranges::find_if(m_keys->swarms, [&](const KeyReaders& k) { return k.swarm == name; });
    if (it != m_keys->swarms.end()) swarm = &*it;
  }
  const bool reader = swarm != nullptr && std::ranges::find(swarm->readers, caller.name) != swarm->readers.end();
  if (!reader) {
    const std::string message =
        fmt::format("{} may not read the key of swarm {} (not in swarms[].key_readers)", caller.name, name);
    spdlog::warn("api: {}: refused: not a key reader of swarm {}", actor, name);
    if (m_keys) {
      Context ctx{m_keys->store, m_keys->audit, m_clock, actor};
      (void)detail::audit_failure(ctx, {"fetch", name, std::nullopt, {}, {}}, Error{ErrorCode::unauthorized, message});
    }
    return error_response(403, "forbidden", message);
  }
  Context ctx{m_keys->store, m_keys->audit, m_clock, actor};
  const detail::AuditFields fields{"fetch", name, std::nullopt, {}, {}};
  auto stored = m_keys->store.read(swarm->path, std::nullopt);
  if (!stored) {
    const Error error = detail::audit_failure(ctx, fields, stored.error());
    if (stored.error().code == ErrorCode::not_found) {
      return error_response(404, "no_key", fmt::format("swarm {} has no key yet: {}", name, error.message));
    }
    spdlog::warn("api: {}: the key of swarm {} cannot be read: {}", actor, name, error.message);
    return error_response(503, "store_unavailable", fmt::format("{}: {}", m_keys->store.describe(), error.message));
  }
  if (auto audited = detail::audit_success(ctx, {"fetch", name, stored->info.version, stored->data.fingerprint, {}});
      !audited) {
    spdlog::error("api: {}: the key of swarm {} is not served: {}", actor, name, audited.error().message);
    return error_response(
        500, "audit_failed",
        fmt::format("the key read could not be audited, so it is not served: {}", audited.error().message));
  }
  spdlog::info("api: {} read the key of swarm {} (version {}, fingerprint {})", actor, name, stored->info.version,
               stored->data.fingerprint);
  return ApiResponse{200, "application/json", key_body(name, *stored), {{"Cache-Control", "no-store"}}};
}

ApiResponse DaemonService::readyz() const {
  const std::lock_guard view(m_view);
  // Only swarms checked so far count: a long first pass does not keep the daemon unready, and a
  // store that failed for a swarm it did check does.
  std::size_t checked = 0;
  bool store_ok = true;
  bool damaged = false;
  json swarms = json::array();
  for (const SwarmState& s : m_swarms) {
    const bool was_checked = s.last_check.has_value();
    if (was_checked) {
      ++checked;
      store_ok = store_ok && s.store_reachable;
      damaged = damaged || s.store_integrity_error;
    }
    swarms.push_back({{"name", s.name},
                      {"checked", was_checked},
                      {"store_reachable", s.store_reachable},
                      {"store_integrity_error", s.store_integrity_error},
                      {"consecutive_failures", s.consecutive_failures},
                      {"last_error", s.last_error},
                      {"next_check", ports::format_rfc3339(s.next_check)}});
  }
  const bool ready = checked > 0 && store_ok && !damaged && m_leadership.known;
  const json body{{"ready", ready},
                  {"config", "loaded"},
                  {"store", checked == 0 ? "not checked yet"
                            : !store_ok  ? "unreachable"
                            : damaged    ? "integrity error (see swarms[].last_error)"
                                         : "reachable"},
                  {"first_pass",
                   {{"checked", checked}, {"swarms", m_swarms.size()}, {"complete", checked == m_swarms.size()}}},
                  {"leadership", !m_leadership.known    ? "unknown"
                                 : m_leadership.leading ? "leader"
                                                        : "follower"},
                  {"leader", m_leadership.holder},
                  {"leadership_error", m_leadership.error},
                  {"swarms", swarms}};
  return json_response(ready ? 200 : 503, body);
}

std::string DaemonService::metrics_text() const {
  const auto now = m_clock.now();
  const auto all = swarms();
  bool leading = false;
  {
    const std::lock_guard view(m_view);
    leading = m_leadership.leading;
  }
  std::string out = fmt::format(
      "# HELP keyd_build_info keyd's version.\n# TYPE keyd_build_info gauge\nkeyd_build_info{{version=\"{}\"}} 1\n"
      "# HELP keyd_is_leader 1 when this process leads (rotates and writes).\n# TYPE keyd_is_leader gauge\n"
      "keyd_is_leader {}\n",
      label(m_version), leading ? 1 : 0);
  const auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("keyd_key_version", "gauge", "The store's current key version (0: none).");
  for (const auto& s : all) out += fmt::format("keyd_key_version{{swarm=\"{}\"}} {}\n", label(s.name), s.version);
  family("keyd_key_age_seconds", "gauge", "Age of the current key version.");
  for (const auto& s : all) {
    if (s.created) {
      out += fmt::format("keyd_key_age_seconds{{swarm=\"{}\"}} {}\n", label(s.name),
                         prometheus_number(std::chrono::duration<double>(now - *s.created).count()));
    }
  }
  family("keyd_next_rotation_timestamp_seconds", "gauge", "When the next scheduled rotation may start (Unix time).");
  for (const auto& s : all) {
    if (s.schedule) {
      out += fmt::format("keyd_next_rotation_timestamp_seconds{{swarm=\"{}\"}} {}\n", label(s.name),
                         prometheus_number(unix_seconds(s.schedule->next)));
    }
  }
  family("keyd_rotations_total", "counter", "Rotations by outcome (success, failure, delivery_failed, conflict).");
  for (const auto& s : all) {
    for (const auto& [outcome, n] : s.rotations) {
      out += fmt::format("keyd_rotations_total{{swarm=\"{}\",outcome=\"{}\"}} {}\n", label(s.name), label(to_string(outcome)), n);
    }
  }
  family("keyd_sync_total", "counter", "Deliveries to targets by outcome (changed, unchanged, failed).");
  for (const auto& s : all) {
    for (const auto& t : s.targets) {
      for (const auto& [outcome, n] : t.syncs) {
        out += fmt::format("keyd_sync_total{{swarm=\"{}\",target=\"{}\",outcome=\"{}\"}} {}\n", label(s.name),
                           label(t.target), label(to_string(outcome)), n);
      }
    }
  }
  family("keyd_swarm_consecutive_failures", "gauge", "Failed checks in a row (0 when healthy).");
  for (const auto& s : all) {
    out += fmt::format("keyd_swarm_consecutive_failures{{swarm=\"{}\"}} {}\n", label(s.name), s.consecutive_failures);
  }
  family("keyd_swarm_store_integrity_error", "gauge",
         "1 while the store reports the swarm's path as damaged (integrity): nothing is issued over it.");
  for (const auto& s : all) {
    out += fmt::format("keyd_swarm_store_integrity_error{{swarm=\"{}\"}} {}\n", label(s.name),
                       s.store_integrity_error ? 1 : 0);
  }
  family("keyd_store_integrity_errors_total", "counter", "Checks that ended in a store integrity error.");
  for (const auto& s : all) {
    out +=
        fmt::format("keyd_store_integrity_errors_total{{swarm=\"{}\"}} {}\n", label(s.name), s.store_integrity_errors);
  }
  if (m_store_metrics) out += m_store_metrics->render();
  for (const auto& render : m_more_metrics) out += render();
  return out;
}

void DaemonService::add_metrics(std::function<std::string()> render) { m_more_metrics.push_back(std::move(render)); }

}  // namespace keyd::app
