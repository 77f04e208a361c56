// The Kubernetes answers keyd acts on, driven through keyd's real client code (KubeApi with its
// retries, 401 refresh and status mapping; the Secret sync, workload reads, leader election,
// TokenReview and SelfSubjectAccessReview callers) over an in-memory transport.
// The input: byte 0 picks the operation, bytes 1-2 an HTTP status, the rest the response body.
// Operations: 0 read a Secret, 1-3 read a StatefulSet/Deployment/DaemonSet and its rollout status,
// 4 a Lease round (get, then create/update), 5 a TokenReview, 6 a SelfSubjectAccessReview,
// 7 the answer to a Secret create, 8 the answer to a Secret update.
// Asserts (besides no crash, no sanitizer report, no exception): a Secret read gives the body's
// data, each value decoding (strict base64) to what an independent RFC 4648 decoder gives; a
// failure names a request keyd sent ("kubernetes <METHOD> <path>") and carries no swarm key; a
// workload status's counts are within 0..INT32_MAX; a TokenReview authenticates only, and always,
// when a 2xx body says status.authenticated: true; a permission check passes only, and always, when a
// 2xx body is a rules review whose rules grant it or says status.allowed: true (the same
// answer serves the SelfSubjectRulesReview and the access review after it); keyd leads only after a 2xx answer to its own write.
#include "fuzz_check.hpp"
#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/adapters/election/leader_election.hpp"
#include "keyd/adapters/kube/kube_auth.hpp"
#include "keyd/common/base64.hpp"
#include "kube/kube_api.hpp"
#include "kube/kube_ops.hpp"
#include "leak_check.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

// make_kube_api's default transport; this target always injects its own (no curl in the fuzz build).
keyd::Result<std::unique_ptr<keyd::ports::HttpTransport>> keyd::adapters::make_curl_transport(keyd::ports::TlsOptions) {
  return keyd::fail(keyd::ErrorCode::internal, "no curl transport in the fuzz build");
}

namespace {

using namespace keyd;
using namespace keyd::adapters;
using kube::SecretJson;

constexpr const char* k_secret_path = "/api/v1/namespaces/ipfs/secrets/ipfs-swarm-key";

class Clock final : public ports::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return m_now; }
  void sleep_for(std::chrono::milliseconds d) const override { m_now += d; }

 private:
  mutable std::chrono::system_clock::time_point m_now{std::chrono::seconds{1'790'000'000}};
};

class Random final : public ports::Random {
 public:
  [[nodiscard]] double uniform() override { return 0.5; }
};

class NoCredentials final : public KubeCredentialSource {
 public:
  Result<KubeCredentials> get(bool) override { return KubeCredentials{}; }
};

struct Sent {
  std::string method;
  std::string path;
  std::string body;
};

// GETs are answered with `get_answer` when set; everything else with the input's answer.
struct Exchange {
  int status = 200;
  std::string body;
  std::optional<std::pair<int, std::string>> get_answer;
  std::vector<Sent> sent;
};

class Transport final : public ports::HttpTransport {
 public:
  explicit Transport(Exchange& exchange) : m_exchange(exchange) {}
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    const auto at = request.url.find('/', std::string_view("https://").size());
    std::string path = at == std::string::npos ? "" : request.url.substr(at);
    path = path.substr(0, path.find('?'));
    m_exchange.sent.push_back({request.method, path, std::string(request.body.reveal_text())});
    ports::HttpResponse response;
    if (request.method == "GET" && m_exchange.get_answer) {
      response.status = m_exchange.get_answer->first;
      response.body = Secret::from_text(m_exchange.get_answer->second);
    } else {
      response.status = m_exchange.status;
      response.body = Secret::from_text(m_exchange.body);
    }
    return response;
  }

 private:
  Exchange& m_exchange;
};

std::shared_ptr<KubeApi> make_api(Exchange& exchange, const Clock& clock, Random& random) {
  KubeConnection connection;
  connection.server = "https://kube.fuzz:6443";
  connection.default_namespace = "ipfs";
  connection.credentials = std::make_shared<NoCredentials>();
  connection.description = "fuzz";
  kube::ApiOptions options;
  options.backoff.max_attempts = 2;
  return std::make_shared<KubeApi>(
      connection, clock, random,
      [&exchange](const ports::TlsOptions&) -> Result<std::unique_ptr<ports::HttpTransport>> {
        return std::make_unique<Transport>(exchange);
      },
      options);
}

bool ok_status(int status) { return status >= 200 && status <= 299; }

// The body as a second JSON parser reads it (nullopt: not a JSON object).
std::optional<nlohmann::json> body_object(const Exchange& exchange) {
  auto doc = nlohmann::json::parse(exchange.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

bool flag_is_true(const Exchange& exchange, const char* outer, const char* inner) {
  const auto doc = body_object(exchange);
  if (!doc || !ok_status(exchange.status)) return false;
  const auto o = doc->find(outer);
  if (o == doc->end() || !o->is_object()) return false;
  const auto i = o->find(inner);
  return i != o->end() && i->is_boolean() && i->get<bool>();
}

// A failure names one of the requests keyd sent and quotes no key.
void check_failure(const Error& error, const Exchange& exchange) {
  fuzz::check_no_key_in(error.message);
  bool named = false;
  for (const auto& s : exchange.sent) {
    named = named || error.message.find("kubernetes " + s.method + " " + s.path) != std::string::npos;
  }
  if (!named) std::fprintf(stderr, "unnamed failure: %s\n", error.message.c_str());
  FUZZ_CHECK(named);
}

// RFC 4648 with padding and zero trailing bits; nullopt otherwise.
std::optional<std::string> reference_base64(std::string_view text) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size() - pad; ++i) {
    const auto v = alphabet.find(text[i]);
    if (v == std::string_view::npos) return std::nullopt;
    bits = (bits << 6U) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xFFU);
    }
  }
  if ((bits & ((1U << static_cast<unsigned>(count)) - 1U)) != 0) return std::nullopt;
  return out;
}

void read_secret(KubeApi& api, Exchange& exchange) {
  auto secret = api.get(k_secret_path);
  if (!secret) return check_failure(secret.error(), exchange);
  FUZZ_CHECK(ok_status(exchange.status));
  const auto doc = body_object(exchange);
  FUZZ_CHECK(doc.has_value());
  const auto* data = kube::find_at(*secret, {"data"});
  const auto expected = doc->find("data");
  if (data == nullptr || !data->is_object()) {
    FUZZ_CHECK(expected == doc->end() || !expected->is_object());
    return;
  }
  FUZZ_CHECK(expected != doc->end() && expected->is_object() && expected->size() == data->size());
  for (const auto& [name, value] : data->items()) {
    const auto other = expected->find(std::string(name.begin(), name.end()));
    FUZZ_CHECK(other != expected->end() && other->is_string() == value.is_string());
    if (!value.is_string()) continue;
    const auto& text = value.get_ref<const detail::WipedString&>();
    const std::string_view view(text.data(), text.size());
    FUZZ_CHECK(view == other->get_ref<const std::string&>());
    const auto decoded = keyd::base64_decode(view);
    if (const auto reference = reference_base64(view)) {
      FUZZ_CHECK(decoded.has_value() && decoded->reveal_text() == *reference);
    }
  }
}

void read_workload(KubeApi& api, Exchange& exchange, int kind) {
  static constexpr const char* kinds[] = {"StatefulSet", "Deployment", "DaemonSet"};
  auto workload = kube::read_workload(api, "ipfs", kinds[kind], "ipfs");
  if (!workload) return check_failure(workload.error(), exchange);
  const auto status = kube::workload_status(*workload);
  for (const auto count : {status.desired, status.ready, status.updated, status.available, status.total}) {
    FUZZ_CHECK(count >= 0 && count <= std::numeric_limits<std::int32_t>::max());
  }
  if (status.partition) FUZZ_CHECK(*status.partition >= 0);
  const auto state = domain::evaluate_rollout(status);
  if (state.phase != domain::RolloutPhase::complete) FUZZ_CHECK(!state.message.empty());
  fuzz::check_no_key_in(state.message);
}

void lease_round(std::shared_ptr<KubeApi> api, Exchange& exchange, const Clock& clock) {
  LeaseOptions options;
  options.namespace_name = "ipfs";
  options.identity = "keyd-fuzz-0";
  const auto elector = make_lease_elector(options, std::move(api), clock);
  const auto status = elector->step();
  fuzz::check_no_key_in(status.error);
  if (!status.leading) return;
  FUZZ_CHECK(ok_status(exchange.status));
  bool wrote = false;
  for (const auto& s : exchange.sent) {
    wrote = wrote || ((s.method == "PUT" || s.method == "POST") && s.body.find("keyd-fuzz-0") != std::string::npos);
  }
  FUZZ_CHECK(wrote);
}

void token_review(std::shared_ptr<KubeApi> api, Exchange& exchange, const Clock& clock) {
  const auto authenticator = make_tokenreview_authenticator({}, std::move(api), clock);
  const auto caller = authenticator->authenticate("fuzz-token");
  if (!caller) return check_failure(caller.error(), exchange);
  const bool authenticated = flag_is_true(exchange, "status", "authenticated");
  FUZZ_CHECK(caller->has_value() == authenticated);
  if (caller->has_value()) FUZZ_CHECK((*caller)->name.starts_with("k8s:"));
}

// A second reading of the answer as a SelfSubjectRulesReview whose rules grant `update` on the core
// Secret "ipfs-swarm-key" ("*" for verbs, groups and resources; names exact). Complete or not: rules
// are additive, so a listed grant holds even in an incomplete review.
bool rules_grant_update(const Exchange& exchange) {
  const auto doc = body_object(exchange);
  if (!doc || !ok_status(exchange.status)) return false;
  const auto st = doc->find("status");
  if (st == doc->end() || !st->is_object()) return false;
  const auto rules = st->find("resourceRules");
  if (rules == st->end() || !rules->is_array()) return false;
  const auto lists = [](const nlohmann::json& rule, const char* field, std::string_view want, bool star) {
    const auto it = rule.find(field);
    if (it == rule.end() || !it->is_array()) return false;
    return std::ranges::any_of(*it, [&](const nlohmann::json& v) {
      return v.is_string() && ((star && v.get<std::string>() == "*") || v.get<std::string>() == want);
    });
  };
  return std::ranges::any_of(*rules, [&](const nlohmann::json& rule) {
    if (!rule.is_object() || !lists(rule, "verbs", "update", true) || !lists(rule, "apiGroups", "", true) ||
        !lists(rule, "resources", "secrets", true)) {
      return false;
    }
    const auto names = rule.find("resourceNames");
    return names == rule.end() || !names->is_array() || names->empty() ||
           lists(rule, "resourceNames", "ipfs-swarm-key", false);
  });
}

void access_review(KubeApi& api, Exchange& exchange) {
  const std::vector<kube::AccessCheck> checks{{"update", "", "secrets", "ipfs-swarm-key", true}};
  const auto result = kube::check_access(api, "ipfs", checks);
  // The same answer serves the rules review and the access review that may follow it: granted when
  // the rules review's rules grant it, else when the access review allows it.
  const bool allowed = rules_grant_update(exchange) || flag_is_true(exchange, "status", "allowed");
  FUZZ_CHECK(result.has_value() == allowed);
  if (result) return;
  fuzz::check_no_key_in(result.error().message);
  if (result.error().message.starts_with("missing Kubernetes permissions")) {
    FUZZ_CHECK(ok_status(exchange.status) && result.error().code == ErrorCode::unauthorized);
    return;
  }
  check_failure(result.error(), exchange);
}

void write_secret(KubeApi& api, Exchange& exchange, const Clock& clock, bool update) {
  // The GET before the write: missing (→ create) or keyd's Secret with another key (→ update).
  exchange.get_answer = update ? std::pair{200, std::string(R"({"kind":"Secret","apiVersion":"v1",)"
                                                            R"("metadata":{"name":"ipfs-swarm-key","namespace":"ipfs",)"
                                                            R"("resourceVersion":"7","labels":{"app.kubernetes.io/managed-by":"keyd"}},)"
                                                            R"("type":"Opaque","data":{"swarm.key":"b2xk"}})")}
                               : std::pair{404, std::string(R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404})")};
  const Secret key_text = Secret::from_text("not a key, a stand-in for one\n");
  const ports::Delivery delivery{"ipfs", "ipfs-overlay/swarm-key", 3, "QmFuzz", key_text, false};
  const kube::SecretSpec spec{"ipfs", "ipfs-swarm-key", "swarm.key", false, true, true};
  const auto outcome = kube::sync_secret(api, spec, delivery, clock);
  if (outcome) {
    FUZZ_CHECK(ok_status(exchange.status) && *outcome == ports::ApplyOutcome::changed);
    return;
  }
  fuzz::check_no_key_in(outcome.error().message);
  // keyd's own message after five conflicts (a server's message may say "kept changing" too).
  if (outcome.error().message.starts_with("secret ipfs/ipfs-swarm-key kept changing")) {
    FUZZ_CHECK(exchange.status == 409 || (update && exchange.status == 404));
    return;
  }
  check_failure(outcome.error(), exchange);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const int which = data[0] % 9;
  Exchange exchange;
  exchange.status = 100 + (data[1] << 8 | data[2]) % 500;
  exchange.body = std::string(fuzz::as_text(data + 3, size - 3));
  const Clock clock;
  Random random;
  auto api = make_api(exchange, clock, random);
  switch (which) {
    case 0: read_secret(*api, exchange); break;
    case 1: case 2: case 3: read_workload(*api, exchange, which - 1); break;
    case 4: lease_round(api, exchange, clock); break;
    case 5: token_review(api, exchange, clock); break;
    case 6: access_review(*api, exchange); break;
    default: write_secret(*api, exchange, clock, which == 8); break;
  }
  return 0;
}
