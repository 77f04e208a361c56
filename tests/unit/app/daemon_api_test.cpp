// The daemon API's semantics (DaemonService::handle), without sockets: the auth matrix, status
// codes with JSON error bodies, swarm views without key material, the key endpoint (readers,
// no-store, audit with the pod, no key, store down, never in a log line or another answer),
// readiness, and metrics that a strict Prometheus text parser accepts.
#include "keyd/app/daemon_service.hpp"

#include "daemon_test_support.hpp"
#include "support/log_capture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <tuple>

namespace keyd::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ports::ApiRequest;
using ports::Authentication;
using Kind = ports::Authentication::Kind;

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A strict reader of the Prometheus text format 0.0.4: HELP/TYPE before a family's samples, one
// TYPE per family, valid metric and label names, quoted and escaped label values, numeric values,
// histogram buckets cumulative with a +Inf bucket equal to _count. Fails the test on any deviation.
std::vector<Sample> parse_prometheus(const std::string& text) {
  static const std::regex k_sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex k_label(R"re(^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$))re");
  static const std::regex k_meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;  // families whose samples ended: they must not come back
  std::string current;
  std::vector<Sample> samples;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.starts_with("#")) {
      EXPECT_TRUE(std::regex_match(line, m, k_meta)) << line;
      if (m[1] == "TYPE") {
        EXPECT_FALSE(types.contains(m[2])) << "second TYPE for " << m[2];
        EXPECT_TRUE(std::set<std::string>({"counter", "gauge", "histogram"}).contains(m[3])) << line;
        types[m[2]] = m[3];
      }
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, k_sample)) << line;
    if (m.empty()) continue;
    Sample s{m[1], {}, 0};
    std::string labels = m[3];
    while (!labels.empty()) {
      std::smatch l;
      const bool found = std::regex_search(labels, l, k_label, std::regex_constants::match_continuous);
      EXPECT_TRUE(found) << line;
      if (!found) break;
      s.labels[l[1]] = l[2];
      labels = l.suffix();
    }
    std::size_t used = 0;
    const std::string value = m[4];
    if (value == "+Inf" || value == "-Inf" || value == "NaN") {
      s.value = value == "NaN" ? std::nan("") : (value == "+Inf" ? INFINITY : -INFINITY);
    } else {
      s.value = std::stod(value, &used);
      EXPECT_EQ(used, value.size()) << line;
    }
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = family.substr(0, family.size() - std::min(family.size(), std::strlen(suffix)));
      if (family.ends_with(suffix) && types.contains(base) && types[base] == "histogram") family = base;
    }
    EXPECT_TRUE(types.contains(family)) << "sample before its TYPE: " << line;
    if (family != current) {
      EXPECT_FALSE(finished.contains(family)) << "family split: " << family;
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    if (types[family] == "counter") {
      EXPECT_GE(s.value, 0) << line;
    }
    samples.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending in +Inf == _count.
  std::map<std::string, std::vector<const Sample*>> buckets;
  for (const Sample& s : samples) {
    if (!s.name.ends_with("_bucket")) continue;
    auto labels = s.labels;
    labels.erase("le");
    std::string key = s.name;
    for (const auto& [k, v] : labels) key += "|" + k + "=" + v;
    buckets[key].push_back(&s);
  }
  for (const auto& [key, list] : buckets) {
    double previous = 0;
    for (const Sample* b : list) {
      EXPECT_GE(b->value, previous) << key;
      previous = b->value;
    }
    EXPECT_EQ(list.back()->labels.at("le"), "+Inf") << key;
  }
  return samples;
}

std::optional<double> value_of(const std::vector<Sample>& samples, std::string_view name,
                               const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    const bool match = std::ranges::all_of(labels, [&](const auto& kv) {
      const auto it = s.labels.find(kv.first);
      return it != s.labels.end() && it->second == kv.second;
    });
    if (match) return s.value;
  }
  return std::nullopt;
}

class DaemonApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto metrics = std::make_shared<StoreMetrics>("memory");
    m_metrics = metrics;
    store = std::make_unique<InstrumentedStore>(f.store, *metrics);
    app::Swarm swarm{"ipfs-overlay", "ipfs-overlay/swarm-key", {}};
    swarm.targets.push_back(std::make_unique<testing::SharedTarget>(f.target));
    std::vector<DaemonSwarm> swarms;
    domain::RotationPolicy policy{720h, *domain::RotationWindow::parse("Mon-Fri 02:00-04:00")};
    swarms.push_back(DaemonSwarm{std::move(swarm), std::move(policy)});
    auto reconciler = std::make_unique<Reconciler>(Context{*store, f.audit, f.clock, "keyd-daemon"}, std::move(swarms),
                                                   DaemonOptions{}, [] { return 0.0; });
    KeyAccess keys{*store, f.audit, {}};
    keys.swarms.push_back(KeyReaders{"ipfs-overlay", "ipfs-overlay/swarm-key", {"token:agent", k_overlay_sa}});
    keys.swarms.back().operators = {"token:ci", "token:ci-bot", "token:agent", "k8s:system:serviceaccount:ops:deployer",
                                    "k8s:system:serviceaccount:ops:ci"};
    service = std::make_unique<DaemonService>(std::move(reconciler), metrics, f.clock, "1.2.3", std::move(keys));
  }

  static constexpr const char* k_overlay_sa = "k8s:system:serviceaccount:ipfs:ipfs-overlay";

  // The stored current key file text, as the store holds it.
  std::string stored_key() {
    auto stored = f.store.inner.read("ipfs-overlay/swarm-key", std::nullopt);
    EXPECT_TRUE(stored.has_value());
    return stored ? std::string(stored->data.key_text.reveal_text()) : std::string();
  }

  void lead() {
    service->set_leadership({true, true, "me", {}});
    service->tick();
  }

  static Authentication as(std::string name, bool may_write = true) {
    return Authentication{Kind::ok, ports::Caller{std::move(name), may_write}, {}};
  }

  // A Kubernetes caller whose token the TokenReview said is bound to a pod.
  static Authentication pod(std::string name, std::string pod_name, std::string uid) {
    return Authentication{Kind::ok, ports::Caller{std::move(name), false, std::move(pod_name), std::move(uid)}, {}};
  }

  ports::ApiResponse call(std::string method, std::string path, Authentication auth = {}) {
    return service->handle(ApiRequest{std::move(method), std::move(path), std::move(auth), {}});
  }

  static json body(const ports::ApiResponse& r) {
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  testing::DaemonFixture f;
  std::shared_ptr<StoreMetrics> m_metrics;
  std::unique_ptr<InstrumentedStore> store;
  std::unique_ptr<DaemonService> service;
};

TEST_F(DaemonApiTest, ProbesAndMetricsNeedNoToken) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_EQ(body(call("GET", "/healthz"))["status"], "ok");
  auto ready = call("GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << "leadership unknown and nothing checked yet";
  EXPECT_EQ(body(ready)["leadership"], "unknown");
  lead();
  ready = call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(body(ready)["leadership"], "leader");
  EXPECT_EQ(body(ready)["store"], "reachable");
  EXPECT_EQ(call("GET", "/metrics").status, 200);
  EXPECT_EQ(call("POST", "/healthz").status, 405);
}

TEST_F(DaemonApiTest, ReadyzSaysWhenTheStoreIsUnreachable) {
  lead();
  f.store.failure = Error{ErrorCode::unavailable, "vault https://vault:8200: 503 sealed"};
  f.clock.advance(1min);
  service->tick();
  const auto ready = call("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  const json b = body(ready);
  EXPECT_EQ(b["store"], "unreachable");
  EXPECT_EQ(b["swarms"][0]["consecutive_failures"], 1);
  EXPECT_NE(b["swarms"][0]["last_error"].get<std::string>().find("503 sealed"), std::string::npos);
}

TEST_F(DaemonApiTest, AuthMatrix) {
  lead();
  struct Case {
    const char* method;
    const char* path;
    Authentication auth;
    int want;
    const char* code;
  };
  const Authentication none{};
  const Authentication bad{Kind::rejected, std::nullopt, "unknown token"};
  const Authentication down{Kind::unavailable, std::nullopt, "tokenreviews: 503"};
  for (const Case& c : {
           Case{"GET", "/v1/swarms", none, 401, "unauthenticated"},
           Case{"GET", "/v1/swarms", bad, 401, "unauthenticated"},
           Case{"GET", "/v1/swarms", down, 503, "unavailable"},
           Case{"GET", "/v1/swarms", as("k8s:viewer", false), 200, nullptr},
           Case{"GET", "/v1/swarms/ipfs-overlay", as("token:ci"), 200, nullptr},
           Case{"POST", "/v1/swarms/ipfs-overlay/sync", none, 401, "unauthenticated"},
           Case{"POST", "/v1/swarms/ipfs-overlay/sync", bad, 401, "unauthenticated"},
           Case{"POST", "/v1/swarms/ipfs-overlay/rotate", as("k8s:viewer", false), 403, "forbidden"},
           Case{"POST", "/v1/swarms/ipfs-overlay/sync", as("k8s:viewer", false), 403, "forbidden"},
           Case{"POST", "/v1/swarms/ipfs-overlay/sync", as("token:ci"), 200, nullptr},
           Case{"POST", "/v1/swarms/nope/rotate", as("token:ci"), 404, "not_found"},
           Case{"GET", "/v1/swarms/nope", as("token:ci"), 404, "not_found"},
           Case{"GET", "/v1/nothing", as("token:ci"), 404, "not_found"},
           Case{"GET", "/", none, 404, "not_found"},
           Case{"GET", "/v1/swarms/ipfs-overlay/rotate", as("token:ci"), 405, "method_not_allowed"},
           Case{"DELETE", "/v1/swarms/ipfs-overlay", as("token:ci"), 405, "method_not_allowed"},
           Case{"POST", "/v1/swarms/ipfs-overlay/explode", as("token:ci"), 404, "not_found"},
       }) {
    const auto r = call(c.method, c.path, c.auth);
    EXPECT_EQ(r.status, c.want) << c.method << " " << c.path << ": " << r.body;
    const json b = body(r);
    if (c.code != nullptr) {
      EXPECT_EQ(b["error"]["code"], c.code) << r.body;
      EXPECT_FALSE(b["error"]["message"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(f.store.inner.metadata("ipfs-overlay/swarm-key")->current_version, 1) << "no refused request rotated";
}

TEST_F(DaemonApiTest, RotateAndSyncAreAuditedWithTheCaller) {
  lead();
  const auto rotated = call("POST", "/v1/swarms/ipfs-overlay/rotate", as("token:ci-bot"));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const json report = body(rotated);
  EXPECT_EQ(report["version"], 2);
  EXPECT_EQ(report["fingerprint"], f.target.fingerprint);
  EXPECT_EQ(report["targets"][0]["outcome"], "changed");
  EXPECT_EQ(f.audit.events.back().actor, "token:ci-bot");
  EXPECT_EQ(f.audit.events.back().action, "sync");
  EXPECT_TRUE(std::ranges::any_of(f.audit.events, [](const auto& e) {
    return e.action == "rotate" && e.actor == "token:ci-bot" && e.version == 2;
  }));

  const auto synced = call("POST", "/v1/swarms/ipfs-overlay/sync", as("k8s:system:serviceaccount:ops:deployer"));
  ASSERT_EQ(synced.status, 200);
  EXPECT_EQ(f.audit.events.back().actor, "k8s:system:serviceaccount:ops:deployer");
  EXPECT_EQ(body(synced)["version"], 2);
}

TEST_F(DaemonApiTest, AFollowerServesReadsAndRefusesWrites) {
  service->set_leadership({false, true, "other-pod", {}});
  service->tick();
  const auto r = call("POST", "/v1/swarms/ipfs-overlay/rotate", as("token:ci"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(body(r)["error"]["code"], "unavailable");
  EXPECT_EQ(call("GET", "/v1/swarms", as("token:ci")).status, 200);
  EXPECT_EQ(call("GET", "/readyz").status, 200) << "a follower is ready: it serves reads";
  EXPECT_EQ(body(call("GET", "/readyz"))["leader"], "other-pod");
}

TEST_F(DaemonApiTest, SwarmViewsShowStateButNeverKeyMaterial) {
  lead();
  f.target.fingerprint = "0123456789abcdef0123456789abcdef";  // hand edit
  f.clock.advance(1min);
  service->tick();
  const auto r = call("GET", "/v1/swarms/ipfs-overlay", as("token:ci"));
  ASSERT_EQ(r.status, 200);
  const json v = body(r);
  EXPECT_EQ(v["name"], "ipfs-overlay");
  EXPECT_EQ(v["version"], 1);
  EXPECT_EQ(v["fingerprint"].get<std::string>().size(), 32U);
  EXPECT_EQ(v["age_seconds"], 60);
  EXPECT_EQ(v["rotation"]["window"], "Mon-Fri 02:00-04:00");
  EXPECT_FALSE(v["rotation"]["next"].get<std::string>().empty());
  EXPECT_EQ(v["targets"][0]["state"], "repaired");
  EXPECT_EQ(v["targets"][0]["syncs"]["changed"], 2);
  // The key text the target holds appears nowhere in any answer.
  const std::string key_hex = f.target.key_text.substr(f.target.key_text.size() - 65, 64);
  for (const auto& path : {"/v1/swarms", "/v1/swarms/ipfs-overlay", "/metrics", "/readyz"}) {
    EXPECT_EQ(call("GET", path, as("token:ci")).body.find(key_hex), std::string::npos) << path;
  }
}

TEST_F(DaemonApiTest, MetricsParseAsPrometheusTextAndCarryTheState) {
  lead();
  (void)call("POST", "/v1/swarms/ipfs-overlay/rotate", as("token:ci"));
  f.clock.advance(90s);
  service->tick();
  const auto r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const auto samples = parse_prometheus(r.body);
  const std::map<std::string, std::string> swarm{{"swarm", "ipfs-overlay"}};
  EXPECT_EQ(value_of(samples, "keyd_build_info", {{"version", "1.2.3"}}), 1);
  EXPECT_EQ(value_of(samples, "keyd_is_leader", {}), 1);
  EXPECT_EQ(value_of(samples, "keyd_key_version", swarm), 2);
  EXPECT_EQ(value_of(samples, "keyd_key_age_seconds", swarm), 90);
  const auto next = value_of(samples, "keyd_next_rotation_timestamp_seconds", swarm);
  ASSERT_TRUE(next);
  EXPECT_GE(*next, std::chrono::duration<double>(f.clock.now().time_since_epoch() + 720h - 90s).count());
  EXPECT_EQ(value_of(samples, "keyd_rotations_total", {{"swarm", "ipfs-overlay"}, {"outcome", "success"}}), 2);
  EXPECT_EQ(
      value_of(samples, "keyd_sync_total", {{"swarm", "ipfs-overlay"}, {"target", "fake t"}, {"outcome", "unchanged"}}),
      1);
  EXPECT_GT(
      *value_of(samples, "keyd_store_requests_total", {{"backend", "memory"}, {"op", "metadata"}, {"code", "ok"}}), 0);
  EXPECT_EQ(value_of(samples, "keyd_store_requests_total", {{"backend", "memory"}, {"op", "write"}, {"code", "ok"}}),
            2);
  EXPECT_EQ(value_of(samples, "keyd_store_request_duration_seconds_count", {{"op", "write"}}), 2);
  EXPECT_EQ(value_of(samples, "keyd_store_request_duration_seconds_bucket", {{"op", "write"}, {"le", "+Inf"}}), 2);
}

bool has_header(const ports::ApiResponse& r, std::string_view name, std::string_view value) {
  return std::ranges::any_of(r.headers, [&](const auto& h) { return h.first == name && h.second == value; });
}

TEST_F(DaemonApiTest, KeyEndpointAuthMatrix) {
  lead();
  const std::string path = "/v1/swarms/ipfs-overlay/key";
  struct Case {
    const char* method;
    std::string path;
    Authentication auth;
    int want;
    const char* code;
  };
  const Authentication none{};
  const Authentication bad{Kind::rejected, std::nullopt, "unknown token"};
  const Authentication down{Kind::unavailable, std::nullopt, "TokenReview: POST /apis/authentication.k8s.io: 503"};
  for (const Case& c : {
           Case{"GET", path, none, 401, "unauthenticated"},
           Case{"GET", path, bad, 401, "unauthenticated"},
           Case{"GET", path, down, 503, "unavailable"},
           Case{"GET", path, as("token:ci"), 403, "forbidden"},  // may even rotate, but is no key reader
           Case{"GET", path, pod("k8s:system:serviceaccount:ipfs:other", "ipfs-0", "u1"), 403, "forbidden"},
           Case{"GET", "/v1/swarms/nope/key", as("token:agent"), 404, "not_found"},
           Case{"POST", path, as("token:agent"), 405, "method_not_allowed"},
           Case{"HEAD", path, as("token:agent"), 405, "method_not_allowed"},
           Case{"GET", path, as("token:agent"), 200, nullptr},
           Case{"GET", path, pod(k_overlay_sa, "ipfs-0", "u1"), 200, nullptr},
           Case{"GET", path, as(k_overlay_sa), 200, nullptr},
       }) {
    const auto r = call(c.method, c.path, c.auth);
    EXPECT_EQ(r.status, c.want) << c.method << " " << c.path << ": " << r.body;
    const json b = body(r);
    if (c.code != nullptr) {
      EXPECT_EQ(b["error"]["code"], c.code) << r.body;
      EXPECT_FALSE(b.contains("key")) << r.body;
      EXPECT_EQ(r.body.find("/key/swarm/psk"), std::string::npos) << r.body;
    } else {
      EXPECT_TRUE(has_header(r, "Cache-Control", "no-store")) << c.method << " " << c.path;
    }
  }
  const auto refused = call("GET", path, as("token:ci"));
  EXPECT_EQ(body(refused)["error"]["message"],
            "token:ci may not read the key of swarm ipfs-overlay (not in swarms[].key_readers)");
}

TEST_F(DaemonApiTest, AReaderGetsTheStoredKeyExactlyAndTheReadIsAuditedWithThePod) {
  lead();
  const auto r = call("GET", "/v1/swarms/ipfs-overlay/key", pod(k_overlay_sa, "ipfs-0", "8b1c"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(has_header(r, "Cache-Control", "no-store"));
  const json b = body(r);
  const auto meta = f.store.inner.metadata("ipfs-overlay/swarm-key");
  ASSERT_TRUE(meta);
  EXPECT_EQ(b.size(), 5U) << r.body;
  EXPECT_EQ(b["swarm"], "ipfs-overlay");
  EXPECT_EQ(b["version"], 1);
  EXPECT_EQ(b["fingerprint"], f.target.fingerprint);
  EXPECT_EQ(b["created_time"], ports::format_rfc3339(f.clock.now()));
  EXPECT_EQ(b["key"], stored_key());
  EXPECT_EQ(b["key"].get<std::string>().substr(0, 31), "/key/swarm/psk/1.0.0/\n/base16/\n");
  // The metadata call agrees on version, fingerprint and time.
  const json view = body(call("GET", "/v1/swarms/ipfs-overlay", as("token:agent")));
  EXPECT_EQ(view["version"], b["version"]);
  EXPECT_EQ(view["fingerprint"], b["fingerprint"]);
  EXPECT_EQ(view["created"], b["created_time"]);

  const ports::AuditEvent& e = f.audit.events.back();
  EXPECT_EQ(e.action, "fetch");
  EXPECT_EQ(e.actor, "k8s:system:serviceaccount:ipfs:ipfs-overlay pod=ipfs-0 pod_uid=8b1c");
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(e.swarm, "ipfs-overlay");
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.fingerprint, f.target.fingerprint);

  // It is read from the store, not from a cache: a version written meanwhile is served at once.
  const int reads = f.store.read_calls;
  ports::VersionData next{domain::generate_swarm_key()->canonical_text(), "", "someone", "manual"};
  next.fingerprint = "00112233445566778899aabbccddeeff";
  ASSERT_TRUE(f.store.write("ipfs-overlay/swarm-key", next, 1));
  const json again = body(call("GET", "/v1/swarms/ipfs-overlay/key", as("token:agent")));
  EXPECT_EQ(again["version"], 2);
  EXPECT_EQ(again["key"], stored_key());
  EXPECT_EQ(f.store.read_calls, reads + 1);
  EXPECT_EQ(f.audit.events.back().actor, "token:agent");
}

TEST_F(DaemonApiTest, RefusedKeyReadsAreAuditedToo) {
  lead();
  ASSERT_EQ(call("GET", "/v1/swarms/ipfs-overlay/key", pod("k8s:system:serviceaccount:ops:x", "p-1", "u")).status, 403);
  const ports::AuditEvent& e = f.audit.events.back();
  EXPECT_EQ(e.action, "fetch");
  EXPECT_EQ(e.actor, "k8s:system:serviceaccount:ops:x pod=p-1 pod_uid=u");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_NE(e.error.find("key_readers"), std::string::npos) << e.error;
}

TEST_F(DaemonApiTest, NoKeyYetIs404NoKeyAndAFollowerServesTheKeyTheLeaderIssued) {
  service->set_leadership({false, true, "other-pod", {}});  // a follower: it never issues the first key
  service->tick();
  const auto r = call("GET", "/v1/swarms/ipfs-overlay/key", as("token:agent"));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(body(r)["error"]["code"], "no_key");
  EXPECT_NE(body(r)["error"]["message"].get<std::string>().find("ipfs-overlay"), std::string::npos);
  EXPECT_EQ(f.audit.events.back().outcome, "failure");

  // The leader (another replica) issues the first key: this follower serves it at once.
  ports::VersionData first{domain::generate_swarm_key()->canonical_text(), "00112233445566778899aabbccddeeff",
                           "keyd-daemon@other-pod", "initial"};
  ASSERT_TRUE(f.store.write("ipfs-overlay/swarm-key", first, 0));
  const auto served = call("GET", "/v1/swarms/ipfs-overlay/key", as("token:agent"));
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(body(served)["key"], stored_key());
  EXPECT_EQ(body(served)["fingerprint"], "00112233445566778899aabbccddeeff");
}

TEST_F(DaemonApiTest, AStoreThatCannotBeReadIs503StoreUnavailable) {
  lead();
  f.store.failure = Error{ErrorCode::unavailable, "GET /v1/secret/data/ipfs-overlay/swarm-key: 503 Vault is sealed"};
  const auto r = call("GET", "/v1/swarms/ipfs-overlay/key", as("token:agent"));
  EXPECT_EQ(r.status, 503) << r.body;
  const json b = body(r);
  EXPECT_EQ(b["error"]["code"], "store_unavailable");
  const std::string message = b["error"]["message"];
  EXPECT_NE(message.find("memory store"), std::string::npos) << message;
  EXPECT_NE(message.find("503 Vault is sealed"), std::string::npos) << message;
  EXPECT_FALSE(has_header(r, "Cache-Control", "no-store"));
  EXPECT_EQ(f.audit.events.back().action, "fetch");
  EXPECT_EQ(f.audit.events.back().outcome, "failure");
}

TEST_F(DaemonApiTest, AnUnauditableKeyReadServesNoKey) {
  lead();
  f.audit.failure = Error{ErrorCode::io, "append to audit.jsonl: No space left on device"};
  const auto r = call("GET", "/v1/swarms/ipfs-overlay/key", as("token:agent"));
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(body(r)["error"]["code"], "audit_failed");
  EXPECT_EQ(r.body.find("/key/swarm/psk"), std::string::npos);
}

TEST_F(DaemonApiTest, WithoutKeyReadersNobodyReadsTheKey) {
  auto reconciler = f.make({}, true);
  DaemonService bare(std::move(reconciler), nullptr, f.clock, "1.2.3");
  bare.set_leadership({true, true, "me", {}});
  bare.tick();
  const auto r = bare.handle(ApiRequest{"GET", "/v1/swarms/a/key", as("token:agent"), {}});
  EXPECT_EQ(r.status, 403) << r.body;
}

TEST_F(DaemonApiTest, POSTsAreAuditedWithThePodOfABoundToken) {
  lead();
  ASSERT_EQ(call("POST", "/v1/swarms/ipfs-overlay/sync", pod("k8s:system:serviceaccount:ops:ci", "ci-7", "u")).status,
            403);
  auto writer = pod("k8s:system:serviceaccount:ops:ci", "ci-7", "u");
  writer.caller->may_write = true;
  ASSERT_EQ(call("POST", "/v1/swarms/ipfs-overlay/rotate", writer).status, 200);
  EXPECT_TRUE(std::ranges::any_of(f.audit.events, [](const auto& e) {
    return e.action == "rotate" && e.actor == "k8s:system:serviceaccount:ops:ci pod=ci-7 pod_uid=u";
  }));
}

TEST_F(DaemonApiTest, TheKeyAppearsInNoLogLineAndNoOtherResponse) {
  std::string log;
  std::vector<std::string> keys;
  std::vector<std::string> others;
  {
    testing::LogCapture capture(spdlog::level::trace);
    lead();
    for (int round = 0; round < 2; ++round) {
      const auto got = call("GET", "/v1/swarms/ipfs-overlay/key", pod(k_overlay_sa, "ipfs-0", "u"));
      ASSERT_EQ(got.status, 200);
      keys.push_back(stored_key());
      EXPECT_NE(got.body.find(keys.back().substr(keys.back().size() - 65, 64)), std::string::npos);
      for (const auto& [method, path, auth] : std::vector<std::tuple<std::string, std::string, Authentication>>{
               {"GET", "/v1/swarms", as("token:agent")},
               {"GET", "/v1/swarms/ipfs-overlay", as("token:agent")},
               {"GET", "/v1/swarms/ipfs-overlay/key", as("token:ci")},
               {"GET", "/v1/swarms/ipfs-overlay/key", Authentication{}},
               {"POST", "/v1/swarms/ipfs-overlay/key", as("token:agent")},
               {"POST", "/v1/swarms/ipfs-overlay/sync", as("token:agent")},
               {"POST", "/v1/swarms/ipfs-overlay/rotate", as("token:agent")},
               {"GET", "/metrics", Authentication{}},
               {"GET", "/readyz", Authentication{}},
           }) {
        others.push_back(call(method, path, auth).body);
      }
      keys.push_back(stored_key());  // rotated meanwhile
      f.clock.advance(1min);
      service->tick();
    }
    log = capture.text();
  }
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("read the key of swarm ipfs-overlay"), std::string::npos) << log;
  for (const std::string& key : keys) {
    const std::string hex = key.substr(key.size() - 65, 64);
    EXPECT_EQ(log.find(hex), std::string::npos) << "the key leaked into the log";
    for (const std::string& other : others) EXPECT_EQ(other.find(hex), std::string::npos) << other;
    for (const auto& e : f.audit.events) {
      EXPECT_EQ(e.error.find(hex), std::string::npos);
      EXPECT_EQ(e.actor.find(hex), std::string::npos);
    }
  }
  EXPECT_EQ(log.find("/key/swarm/psk"), std::string::npos);
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_escape(R"(file "a"\b)"), R"(file \"a\"\\b)");
  EXPECT_EQ(prometheus_escape("a\nb"), "a\\nb");
  EXPECT_EQ(prometheus_number(1.5), "1.5");
  EXPECT_EQ(prometheus_number(INFINITY), "+Inf");
}

}  // namespace
}  // namespace keyd::app
