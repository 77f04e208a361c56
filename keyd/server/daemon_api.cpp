#include "keyd/server/daemon_api.hpp"

#include "keyd/common/redact.hpp"

#include "keyd/server/metrics.hpp"
#include "keyd/server/responses.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace keyd::server {

namespace {

using ports::ApiRequest;
using ports::ApiResponse;

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

bool granted(const std::vector<std::string>& names, std::string_view caller) {
  return std::ranges::find(names, caller) != names.end();
}

// A request path is the caller's text: quoted, it is bounded and loses any key-shaped run (a key
// pasted into a URL must not come back in an answer or a log; fuzz finding 10).
std::string quoted(std::string_view path) { return redact_for_message(path, 200); }

ApiResponse no_swarm(std::string_view name) {
  return error_response(404, "not_found", fmt::format("no swarm named '{}'", redact_for_message(name, 100)));
}

}  // namespace

DaemonApi::DaemonApi(app::DaemonService& daemon, std::shared_ptr<app::StoreMetrics> store_metrics, std::string version)
    : m_daemon(daemon), m_store_metrics(std::move(store_metrics)), m_version(std::move(version)) {}

ApiResponse DaemonApi::handle(const ApiRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const auto parts = segments(request.path);
  ApiResponse response = route(request, parts);
  m_http_metrics.record(route_of(parts), response.status, std::chrono::steady_clock::now() - started);
  return response;
}

ApiResponse DaemonApi::route(const ApiRequest& request, const std::vector<std::string_view>& parts) {
  const auto method_not_allowed = [&](std::string_view allowed) {
    return error_response(405, "method_not_allowed",
                          fmt::format("{} {}: use {}", redact_method(request.method), quoted(request.path), allowed));
  };
  const auto not_found = [&] {
    return error_response(404, "not_found", fmt::format("no such resource: {}", quoted(request.path)));
  };
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "readyz" || parts[0] == "metrics")) {
    if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
    if (parts[0] == "healthz") return health_response();
    if (parts[0] == "readyz") return readyz_response(m_daemon.view());
    return ApiResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
  }
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "swarms" || parts.size() > 4) return not_found();
  if (parts.size() == 4 && parts[3] == "key") {
    if (request.method != "GET") return method_not_allowed("GET");
    if (auto refused = refuse(request)) return *refused;
    return read_key(request, parts[2]);
  }
  if (parts.size() == 4) {
    if (parts[3] != "rotate" && parts[3] != "sync") return not_found();
    if (request.method != "POST") return method_not_allowed("POST");
    if (auto refused = refuse(request)) return *refused;
    if (auto refused = refuse_action(request, parts[2], parts[3])) return *refused;
    return swarm_action(request, parts[2], parts[3]);
  }
  if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
  if (auto refused = refuse(request)) return *refused;  // any authenticated caller may list: no keys in it
  return list(parts);
}

ApiResponse DaemonApi::list(const std::vector<std::string_view>& parts) {
  const auto now = m_daemon.clock().now();
  const auto all = m_daemon.swarms();
  if (parts.size() == 2) return swarms_response(all, now);
  const auto it = std::ranges::find_if(all, [&](const app::SwarmState& s) { return s.name == parts[2]; });
  if (it == all.end()) return no_swarm(parts[2]);
  return swarm_response(*it, now);
}

bool DaemonApi::known(std::string_view name) const {
  const auto all = m_daemon.swarms();
  return std::ranges::any_of(all, [&](const app::SwarmState& s) { return s.name == name; });
}

std::optional<ApiResponse> DaemonApi::refuse_action(const ApiRequest& request, std::string_view name,
                                                    std::string_view action) {
  const ports::Caller& caller = *request.auth.caller;
  if (!known(name)) return no_swarm(name);
  const app::KeyReaders* swarm = m_daemon.grants(name);
  std::string message;
  if (swarm == nullptr || !granted(swarm->operators, caller.name)) {
    message = fmt::format("caller {} is not an operator of swarm {} (swarms[].operators)", caller.name, name);
  } else if (!caller.may_write) {
    message = fmt::format("caller {} may not {} (not in server.auth.tokenreview.allowed_users)", caller.name, action);
  } else {
    return std::nullopt;
  }
  spdlog::warn("api: {}: refused to {} swarm {}: {}", caller.actor(), action, name, message);
  m_daemon.audit_refusal(action, name, caller.actor(), message);
  return error_response(403, "forbidden", message);
}

ApiResponse DaemonApi::swarm_action(const ApiRequest& request, std::string_view name, std::string_view action) {
  const std::string caller = request.auth.caller->actor();
  spdlog::info("api: {} asks to {} swarm {}", caller, action, name);
  if (action == "rotate") {
    auto report = m_daemon.rotate(name, caller);
    return report ? report_response(*report) : from_error(report.error());
  }
  auto state = m_daemon.sync(name, caller);
  return state ? swarm_response(*state, m_daemon.clock().now()) : from_error(state.error());
}

ApiResponse DaemonApi::read_key(const ApiRequest& request, std::string_view name) {
  const ports::Caller& caller = *request.auth.caller;
  const std::string actor = caller.actor();
  if (!known(name)) return no_swarm(name);
  const app::KeyReaders* swarm = m_daemon.grants(name);
  if (swarm == nullptr || !granted(swarm->readers, caller.name)) {
    const std::string message =
        fmt::format("{} may not read the key of swarm {} (not in swarms[].key_readers)", caller.name, name);
    spdlog::warn("api: {}: refused: not a key reader of swarm {}", actor, name);
    m_daemon.audit_refusal("fetch", name, actor, message);
    return error_response(403, "forbidden", message);
  }
  auto stored = m_daemon.read_key(*swarm, actor);
  if (!stored) {
    const app::KeyReadFailure& failure = stored.error();
    switch (failure.kind) {
      case app::KeyReadFailure::Kind::no_key:
        return error_response(404, "no_key", fmt::format("swarm {} has no key yet: {}", name, failure.error.message));
      case app::KeyReadFailure::Kind::store_unavailable:
        spdlog::warn("api: {}: the key of swarm {} cannot be read: {}", actor, name, failure.error.message);
        return error_response(503, "store_unavailable", fmt::format("{}: {}", failure.store, failure.error.message));
      case app::KeyReadFailure::Kind::audit_failed:
        break;
    }
    spdlog::error("api: {}: the key of swarm {} is not served: {}", actor, name, failure.error.message);
    return error_response(
        500, "audit_failed",
        fmt::format("the key read could not be audited, so it is not served: {}", failure.error.message));
  }
  spdlog::info("api: {} read the key of swarm {} (version {}, fingerprint {})", actor, name, stored->info.version,
               stored->data.fingerprint);
  return key_response(name, *stored);
}

std::string DaemonApi::metrics_text() const {
  const auto now = m_daemon.clock().now();
  PrometheusText out;
  render_daemon(out, m_daemon.view(), now, m_version);
  if (m_store_metrics) render_store(out, m_store_metrics->snapshot());
  m_http_metrics.render(out);
  std::string text = std::move(out).text();
  for (const auto& render : m_more_metrics) text += render();
  return text;
}

void DaemonApi::add_metrics(std::function<std::string()> render) { m_more_metrics.push_back(std::move(render)); }

}  // namespace keyd::server
