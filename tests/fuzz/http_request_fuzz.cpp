// The daemon's HTTP request handling without sockets: the incremental request parser
// (keyd/adapters/http/request_parser.cpp), the Authorization header (http::authenticate), the path
// check, then routing, grants and bodies in server::DaemonApi in front of an app::DaemonService
// over an in-memory store.
// The input: byte 0 sets the chunk size the bytes are fed in; the rest is the connection's bytes.
// Asserts: feeding in chunks gives the same outcome as feeding at once (state, head, body, bytes
// consumed, error status); a complete request's body is within the limit and as long as its
// Content-Length; a failed one has a 4xx/5xx status; DaemonApi answers with a status in 200..599
// and a content type; an answer carries a swarm key (found by the scanner) only to a key reader
// on GET /v1/swarms/<name>/key with 200; a caller that is not authenticated gets no 2xx outside
// /healthz, /readyz and /metrics; no exception escapes.
#include "fuzz_check.hpp"
#include "http/request_checks.hpp"
#include "http/request_parser.hpp"
#include "keyd/app/daemon.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/app/store_metrics.hpp"
#include "keyd/domain/scan.hpp"
#include "keyd/server/daemon_api.hpp"
#include "support/fakes.hpp"

#include <map>
#include <memory>

namespace {

using namespace keyd;
using namespace std::chrono_literals;
namespace http = adapters::http;

class Clock final : public ports::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return m_now; }
  void sleep_for(std::chrono::milliseconds duration) const override { m_now += duration; }

 private:
  mutable std::chrono::system_clock::time_point m_now{std::chrono::seconds{1'790'000'000}};
};

// Tokens of the fixture: a key reader, an operator, a caller with no grants, and one that cannot be
// checked now.
class Tokens final : public ports::Authenticator {
 public:
  Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    if (token == "down") return fail(ErrorCode::unavailable, "the TokenReview API is down");
    static const std::map<std::string, std::string, std::less<>> names{
        {"reader", "token:agent"}, {"operator", "token:ci"}, {"nobody", "token:nobody"}};
    const auto it = names.find(token);
    if (it == names.end()) return std::optional<ports::Caller>{};
    return std::optional<ports::Caller>{ports::Caller{it->second, true}};
  }
};

struct Daemon {
  Daemon() {
    auto metrics = std::make_shared<app::StoreMetrics>("memory");
    app::Swarm swarm{"ipfs-overlay", "ipfs-overlay/swarm-key", {}};
    swarm.targets.push_back(std::make_unique<testing::FakeTarget>("t"));
    std::vector<app::DaemonSwarm> swarms;
    swarms.push_back(app::DaemonSwarm{std::move(swarm), domain::RotationPolicy{720h, std::nullopt}});
    auto reconciler = std::make_unique<app::Reconciler>(app::Context{store, audit, clock, "keyd-daemon"},
                                                        std::move(swarms), app::DaemonOptions{}, [] { return 0.0; });
    app::KeyAccess keys{store, audit, {}};
    keys.swarms.push_back(app::KeyReaders{"ipfs-overlay", "ipfs-overlay/swarm-key", {"token:agent"}, {"token:ci"}});
    service = std::make_unique<app::DaemonService>(std::move(reconciler), clock, std::move(keys));
    api = std::make_unique<server::DaemonApi>(*service, metrics, "fuzz");
    service->set_leadership({true, true, "me", {}});
    service->tick();
  }
  Clock clock;
  testing::InMemoryStore store;
  testing::RecordingAudit audit;
  std::unique_ptr<app::DaemonService> service;
  std::unique_ptr<server::DaemonApi> api;
};

struct Parsed {
  http::RequestParser parser{http::ParserLimits{1024, 4096, 20, 2048}};
  std::string body;
  std::size_t consumed = 0;
};

void feed(Parsed& p, std::string_view bytes, std::size_t chunk) {
  while (p.consumed < bytes.size() && p.parser.state() != http::RequestParser::State::complete &&
         p.parser.state() != http::RequestParser::State::failed) {
    const auto piece = bytes.substr(p.consumed, chunk);
    const auto used = p.parser.feed(piece, p.body);
    FUZZ_CHECK(used <= piece.size());
    p.consumed += used;
    if (used < piece.size() && p.parser.state() != http::RequestParser::State::complete &&
        p.parser.state() != http::RequestParser::State::failed) {
      // A parser that neither consumes the bytes it was given nor finishes would spin the server.
      FUZZ_CHECK(used > 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  const auto bytes = fuzz::as_text(data + 1, size - 1);

  Parsed whole;
  feed(whole, bytes, bytes.size() + 1);
  Parsed pieces;
  feed(pieces, bytes, chunk);
  using State = http::RequestParser::State;
  FUZZ_CHECK(whole.parser.state() == pieces.parser.state());
  FUZZ_CHECK(whole.consumed == pieces.consumed);
  FUZZ_CHECK(whole.body == pieces.body);
  if (whole.parser.state() == State::failed) {
    FUZZ_CHECK(whole.parser.error().status == pieces.parser.error().status);
    FUZZ_CHECK(whole.parser.error().status >= 400 && whole.parser.error().status <= 599);
    return 0;
  }
  if (whole.parser.state() != State::complete) return 0;
  const auto& head = whole.parser.head();
  FUZZ_CHECK(head.method == pieces.parser.head().method);
  FUZZ_CHECK(head.target == pieces.parser.head().target);
  FUZZ_CHECK(head.headers.size() == pieces.parser.head().headers.size());
  FUZZ_CHECK(whole.body.size() <= 2048);
  if (head.framing == http::Framing::length) FUZZ_CHECK(whole.body.size() == head.content_length);
  if (head.framing == http::Framing::none) FUZZ_CHECK(whole.body.empty());

  if (!http::canonical_path(head.target)) return 0;
  Daemon daemon;  // fresh per input: a rotation must not change what the next input sees
  const http::Authenticators authenticators{std::make_shared<Tokens>()};
  const auto auth = http::authenticate(head, authenticators);
  const bool authenticated = auth.kind == ports::Authentication::Kind::ok;
  const std::string caller = authenticated ? auth.caller->name : std::string();
  const auto response = daemon.api->handle(ports::ApiRequest{head.method, head.path, auth, whole.body});
  FUZZ_CHECK(response.status >= 200 && response.status <= 599);
  FUZZ_CHECK(!response.content_type.empty());
  const bool probe = head.path == "/healthz" || head.path == "/readyz" || head.path == "/metrics";
  if (!authenticated && !probe) FUZZ_CHECK(response.status >= 400);
  if (!domain::scan_for_keys(response.body).empty()) {
    FUZZ_CHECK(response.status == 200);
    FUZZ_CHECK(caller == "token:agent");
    FUZZ_CHECK(head.method == "GET");
    FUZZ_CHECK(head.path == "/v1/swarms/ipfs-overlay/key");
  }
  if (response.status >= 200 && response.status < 300 && head.method == "POST") FUZZ_CHECK(caller == "token:ci");
  return 0;
}
