// The daemon API's key endpoint, without sockets: readers, no-store, audit with the pod, no key,
// store down, an unauditable read, and the key never in a log line or another answer.
#include "daemon_api_fixture.hpp"
#include "support/log_capture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace keyd::app {
namespace {

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
  DaemonService bare(std::move(reconciler), f.clock);
  server::DaemonApi bare_api(bare, nullptr, "1.2.3");
  bare.set_leadership({true, true, "me", {}});
  bare.tick();
  const auto r = bare_api.handle(ApiRequest{"GET", "/v1/swarms/a/key", as("token:agent"), {}});
  EXPECT_EQ(r.status, 403) << r.body;
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

}  // namespace
}  // namespace keyd::app
