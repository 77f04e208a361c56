// The daemon API's semantics (DaemonService::handle), without sockets: the auth matrix, status
// codes with JSON error bodies, swarm views without key material, readiness, and metrics that a
// strict Prometheus text parser accepts.
#include "keyd/app/daemon_service.hpp"

#include "daemon_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>
#include <sstream>

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
    service = std::make_unique<DaemonService>(std::move(reconciler), metrics, f.clock, "1.2.3");
  }

  void lead() {
    service->set_leadership({true, true, "me", {}});
    service->tick();
  }

  static Authentication as(std::string name, bool may_write = true) {
    return Authentication{Kind::ok, ports::Caller{std::move(name), may_write}, {}};
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

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_escape(R"(file "a"\b)"), R"(file \"a\"\\b)");
  EXPECT_EQ(prometheus_escape("a\nb"), "a\\nb");
  EXPECT_EQ(prometheus_number(1.5), "1.5");
  EXPECT_EQ(prometheus_number(INFINITY), "+Inf");
}

}  // namespace
}  // namespace keyd::app
