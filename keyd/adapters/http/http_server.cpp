#include "keyd/adapters/http/http_server.hpp"

#include "event_server.hpp"
#include "log_throttle.hpp"
#include "request_checks.hpp"

#include "keyd/common/redact.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>

namespace keyd::adapters {

namespace {

// Rejected tokens are logged at most this often: a flood of random tokens must not flood the log.
constexpr std::uint32_t k_rejections_logged_per_second = 10;
using http::authenticate;
using http::Authenticators;

void add_auth_headers(http::Response& response, const ports::Authentication& auth) {
  if (response.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"keyd\"");
  // The token could not be checked now (the API server is down, or the review rate bound of
  // review_limiter.hpp is reached): come back later.
  if (response.status == 503 && auth.kind == ports::Authentication::Kind::unavailable) {
    response.headers.emplace_back("Retry-After", "1");
  }
}

// A request announcing a body, before the body is read: only a caller the authenticators know
// may send one.
http::Completion refuse_unauthenticated(http::Completion done, const ports::Authentication& auth) {
  const bool unavailable = auth.kind == ports::Authentication::Kind::unavailable;
  done.response =
      http::error_response(unavailable ? 503 : 401, unavailable ? "the bearer token cannot be checked now"
                                                                : "a request with a body needs a valid bearer token");
  add_auth_headers(*done.response, auth);
  done.close = true;
  return done;
}

http::Response call_handler(ports::ApiHandler& handler, const http::Job& job, ports::ApiRequest request) {
  try {
    ports::ApiResponse answer = handler.handle(request);
    // Moved, not copied: a key endpoint body then exists once, in the response being written.
    http::Response response{answer.status, std::move(answer.content_type), std::move(answer.headers),
                            std::move(answer.body)};
    add_auth_headers(response, request.auth);
    return response;
  } catch (const std::exception&) {
    spdlog::error("api: {} {}: internal error", redact_method(job.head.method), redact_for_message(job.head.path));
    return http::error_response(500, "internal error");
  }
}

// On a worker (or the probe lane): the path, the token, then the handler.
http::Completion serve(http::Job job, ports::ApiHandler& handler, const Authenticators& authenticators,
                       http::LogThrottle& rejections) {
  http::Completion done{job.connection, std::nullopt, false, std::nullopt};
  // One spelling per resource: nothing is percent-decoded or collapsed into another path.
  if (!http::canonical_path(job.head.target)) {
    done.response = http::error_response(404, "no such resource (not a canonical path)");
    done.close = job.auth_only;  // its body is not read
    return done;
  }
  ports::Authentication auth = job.auth    ? std::move(*job.auth)
                               : job.probe ? ports::Authentication{}
                                           : authenticate(job.head, authenticators);
  if (auth.kind == ports::Authentication::Kind::rejected) {
    if (const auto dropped = rejections.admit()) {
      spdlog::info("api: {} {} from {}: token rejected ({}){}", redact_method(job.head.method),
                   redact_for_message(job.head.path), job.remote, auth.reason,
                   *dropped == 0 ? "" : fmt::format("; {} similar lines dropped", *dropped));
    }
  }
  if (job.auth_only) {
    if (auth.kind != ports::Authentication::Kind::ok) return refuse_unauthenticated(std::move(done), auth);
    done.auth = std::move(auth);
    return done;
  }
  ports::ApiRequest request{job.head.method, job.head.path, std::move(auth), std::move(job.body)};
  done.response = call_handler(handler, job, std::move(request));
  return done;
}

}  // namespace

Result<std::pair<std::string, int>> parse_listen_address(std::string_view listen) {
  const auto bad = [&] {
    return fail(ErrorCode::invalid_config,
                fmt::format("listen address '{}': expected host:port (e.g. 127.0.0.1:8750, [::1]:8750)", listen));
  };
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return bad();
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();
  }
  return std::pair{std::string(host), port};
}

Result<std::unique_ptr<HttpServer>> start_http_server(HttpServerOptions options, ports::ApiHandler& handler,
                                                      Authenticators authenticators) {
  const bool tls = !options.cert_file.empty() || !options.key_file.empty();
  http::TlsContextPtr context;
  if (tls) {
    KEYD_ASSIGN_OR_RETURN(context, http::load_tls_context(options.cert_file, options.key_file));
  }
  KEYD_ASSIGN_OR_RETURN(const int listener, http::listen_on(options.host, options.port));
  http::EventServerOptions loop;
  loop.settings.limits.max_body = options.max_body_bytes;
  loop.settings.timeout = options.timeout;
  loop.threads = std::max(1, options.threads);
  loop.max_connections = http::reserve_descriptors(std::max<std::size_t>(1, options.max_connections));
  auto rejections = std::make_shared<http::LogThrottle>(k_rejections_logged_per_second, std::chrono::seconds{1});
  auto serve_one = [&handler, auths = std::move(authenticators), rejections](http::Job job) {
    const std::uint64_t connection = job.connection;
    try {
      return serve(std::move(job), handler, auths, *rejections);
    } catch (const std::exception&) {
      spdlog::error("api: internal error while serving a request");
      return http::Completion{connection, http::error_response(500, "internal error"), true, std::nullopt};
    }
  };
  auto server =
      std::make_unique<http::EventServer>(listener, std::move(context), std::move(loop), std::move(serve_one));
  spdlog::info("api: listening on {}://{}:{}", tls ? "https" : "http", options.host, server->port());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace keyd::adapters
