// The daemon API's semantics (server::DaemonApi::handle), without sockets: the auth matrix, status
// codes with JSON error bodies, swarm views without key material, readiness, and rotate and sync
// audited with the caller. The key endpoint: daemon_api_key_test.cpp; metrics: daemon_api_metrics_test.cpp.
#include "daemon_api_fixture.hpp"
#include "keyd/domain/scan.hpp"

#include <gtest/gtest.h>

namespace keyd::app {
namespace {

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

// A request path is the caller's text, and the 404 and 405 answers quote it. A path holding a
// key-shaped run (a key pasted into a URL by mistake, or a probe) must not come back in the answer:
// key material never appears in an error (fuzz finding 10, tests/fuzz/http_request_fuzz).
TEST_F(DaemonApiTest, AnswersNeverQuoteAKeyShapedRunOfThePath) {
  lead();
  const std::string hex(64, 'f');
  const std::string b64 = "L2tleS9zd2FybS9wc2svMS4wLjAvCi9iYXNlMTYvCmFh";
  for (const std::string& run : {hex, b64}) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/v0/" + run},
             {"GET", "/v1/swarms/" + run},
             {"POST", "/v1/swarms/" + run + "/rotate"},
             {"GET", "/v1/swarms/ipfs-overlay/" + run},
             {"DELETE", "/v1/swarms/" + run},
             {"GET", "/v1/swarms/ipfs-overlay/key/" + run}}) {
      for (const Authentication& auth : {Authentication{}, as("token:ci")}) {
        const auto r = call(method, path, auth);
        EXPECT_GE(r.status, 400) << method << " " << path;
        EXPECT_EQ(r.body.find(run.substr(0, 16)), std::string::npos) << method << " " << path << ": " << r.body;
        EXPECT_TRUE(domain::scan_for_keys(r.body).empty()) << r.body;
      }
    }
  }
  // What is not key-shaped is still quoted: the caller sees which path was wrong.
  EXPECT_NE(call("GET", "/v1/nothing-here", as("token:ci")).body.find("/v1/nothing-here"), std::string::npos);
}

// The method is the caller's text too, and the 405 answer quoted it unredacted (fuzz finding 16,
// tests/fuzz/http_request_fuzz): a method holding a line the scanner reads as a labelled swarm key
// came back in the body. The method is built here at run time (runs of one hex letter), so the
// source never holds a key-shaped line for `keyd scan --git-history` to find.
TEST_F(DaemonApiTest, AnswersNeverQuoteAKeyShapedRunOfTheMethod) {
  lead();
  const auto b = [](std::size_t n) { return std::string(n, 'B'); };
  const std::string label = std::string("swarm") + "key";
  const std::string method = b(20) + label + "re_reach" + b(32) + "~" + b(31) + "C" + b(32) + "#" + b(55) + "T";
  ASSERT_FALSE(domain::scan_for_keys(method).empty()) << "the input must hold what the scanner calls a key";
  for (const Authentication& auth : {Authentication{}, as("token:ci"), as("token:agent")}) {
    for (const std::string path : {"/healthz", "/v1/swarms", "/v1/swarms/ipfs-overlay", "/v1/swarms/ipfs-overlay/key",
                                   "/v1/swarms/ipfs-overlay/rotate", "/v1/nothing-here"}) {
      const auto r = call(method, path, auth);
      EXPECT_GE(r.status, 400) << path;
      EXPECT_TRUE(domain::scan_for_keys(r.body).empty()) << path << ": " << r.body;
      EXPECT_EQ(r.body.find(b(16)), std::string::npos) << path << ": " << r.body;
    }
  }
  // A method that is not key-shaped is still named: the caller sees what was refused.
  EXPECT_NE(call("PATCH", "/v1/swarms/ipfs-overlay", as("token:ci")).body.find("PATCH"), std::string::npos);
}

}  // namespace
}  // namespace keyd::app
