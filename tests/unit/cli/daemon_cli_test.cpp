// `keyd daemon` end to end: the real binary on the embedded file store, its API on 127.0.0.1 (port
// chosen at run time, read from its log), SIGHUP with a bad and a good config, SIGTERM, and two
// daemons sharing a lock file (one leads; the other takes over when the leader is killed).
#include "daemon_process.hpp"
#include "support/http_test_client.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>

#include <chrono>
#include <regex>
#include <thread>

#include "support/httplib_system.hpp"

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* k_token = "daemon-test-token";

// The real daemon, as the reload tests run it (daemon_process.hpp).
using Daemon = DaemonProcess;

std::string config(const std::string& extra = {}) {
  return R"(store: {backend: file, file: {dir: .keyd/store}}
audit: {file: .keyd/audit.jsonl}
sync_interval: 1s
server: {listen: "127.0.0.1:0",
         auth: {tokens_file: tokens}}
leader_election: {lock_file: .keyd/daemon.lock}
swarms:
  - name: ipfs-overlay
    rotation: {max_age: 720h}
    operators: ["token:ci"]
    targets: [{type: file, path: ipfs/swarm.key}]
)" + extra;
}

class DaemonCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "keyd.yaml", config());
    write_file(dir / "tokens", sha256_hex(k_token) + " ci\n");
    ::chmod((dir / "tokens").c_str(), 0600);
  }

  static httplib::Result get(int port, const std::string& path, bool token = false) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    httplib::Headers headers;
    if (token) headers.emplace("Authorization", std::string("Bearer ") + k_token);
    return client.Get(path.c_str(), headers);
  }

  static json ready(int port) {
    for (int i = 0; i < 200; ++i) {
      auto r = get(port, "/readyz");
      if (r && r->status == 200) return json::parse(r->body);
      std::this_thread::sleep_for(20ms);
    }
    return nullptr;
  }

  TempDir dir;
};

TEST_F(DaemonCli, IssuesServesAndStopsCleanlyOnSigterm) {
  Daemon d(dir.path(), "a");
  const int port = d.port();
  ASSERT_GT(port, 0) << d.log();
  const json r = ready(port);
  ASSERT_FALSE(r.is_null()) << d.log();
  EXPECT_EQ(r["leadership"], "leader");
  // Ready means the store was reached and leadership is known; the first key follows within a tick.
  for (int i = 0; i < 250 && !std::filesystem::exists(dir / "ipfs" / "swarm.key"); ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(std::filesystem::exists(dir / "ipfs" / "swarm.key")) << "the first key was not issued";

  // The standard process_* families describe the daemon process itself (issue 19).
  const auto metrics = get(port, "/metrics");
  ASSERT_TRUE(metrics);
  for (const char* family : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
                             "process_start_time_seconds "}) {
    const auto at = metrics->body.find(std::string("\n") + family);
    ASSERT_NE(at, std::string::npos) << family << " in\n" << metrics->body;
    EXPECT_GT(std::stod(metrics->body.substr(at + 1 + std::string(family).size())), 0) << family;
  }

  EXPECT_EQ(get(port, "/v1/swarms")->status, 401);
  auto swarms = get(port, "/v1/swarms", true);
  ASSERT_TRUE(swarms);
  EXPECT_EQ(json::parse(swarms->body)["swarms"][0]["version"], 1);

  httplib::Client client("127.0.0.1", port);
  auto rotated = client.Post("/v1/swarms/ipfs-overlay/rotate", {{"Authorization", std::string("Bearer ") + k_token}},
                             "", "application/json");
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 200) << rotated->body;
  EXPECT_EQ(json::parse(rotated->body)["version"], 2);
  const std::string audit = read_file(dir / ".keyd" / "audit.jsonl");
  EXPECT_NE(audit.find(R"("actor":"token:ci","action":"rotate")"), std::string::npos) << audit;

  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0) << d.log();
  EXPECT_NE(d.log().find("released lock file"), std::string::npos) << d.log();
  const std::string key = read_file(dir / "ipfs" / "swarm.key");
  EXPECT_EQ(d.log().find(key.substr(key.size() - 65, 64)), std::string::npos) << "key material in the log";
}

TEST_F(DaemonCli, SighupKeepsTheOldConfigWhenTheNewOneIsInvalidAndRestartsOnAValidOne) {
  Daemon d(dir.path(), "a");
  const int port = d.port();
  ASSERT_GT(port, 0) << d.log();
  ASSERT_FALSE(ready(port).is_null());
  write_file(dir / "keyd.yaml", config("bogus: 1\n"));
  d.signal(SIGHUP);
  EXPECT_FALSE(d.wait_log("the new configuration is invalid").empty()) << d.log();
  EXPECT_NE(d.log().find("keyd.yaml:12:1: unknown key 'bogus'"), std::string::npos) << d.log();
  EXPECT_EQ(get(port, "/healthz")->status, 200) << "the daemon died on a bad config";

  write_file(dir / "keyd.yaml", config());
  d.signal(SIGHUP);
  const int new_port = d.port(2);  // restarted in place: a second "listening" line, same process
  ASSERT_GT(new_port, 0) << d.log();
  EXPECT_FALSE(ready(new_port).is_null()) << d.log();
  EXPECT_EQ(::kill(d.pid(), 0), 0);
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0) << d.log();
}

TEST_F(DaemonCli, OneOfTwoDaemonsLeadsAndTheOtherTakesOverWhenItIsKilled) {
  Daemon a(dir.path(), "a");
  ASSERT_GT(a.port(), 0) << a.log();
  ASSERT_EQ(ready(a.port())["leadership"], "leader");
  Daemon b(dir.path(), "b");
  const int b_port = b.port();
  ASSERT_GT(b_port, 0) << b.log();
  const json follower = ready(b_port);
  ASSERT_FALSE(follower.is_null()) << b.log();
  EXPECT_EQ(follower["leadership"], "follower");
  httplib::Client client("127.0.0.1", b_port);
  auto refused = client.Post("/v1/swarms/ipfs-overlay/rotate", {{"Authorization", std::string("Bearer ") + k_token}},
                             "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);

  a.kill_now();
  const auto killed = std::chrono::steady_clock::now();
  bool led = false;
  while (!led && std::chrono::steady_clock::now() - killed < 5s) {
    led = ready(b_port)["leadership"] == "leader";
    if (!led) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(led) << b.log();
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 4s) << "takeover slower than the 2 s retry period allows";
  // Still exactly one version: neither daemon rotated on its own. The new leader publishes the
  // store's version after its first reconcile, so wait for a version to be reported at all.
  json version = 0;
  const auto since = std::chrono::steady_clock::now();
  while (version == 0 && std::chrono::steady_clock::now() - since < 5s) {
    auto swarms = get(b_port, "/v1/swarms", true);
    ASSERT_TRUE(swarms);
    version = json::parse(swarms->body)["swarms"][0]["version"];
    if (version == 0) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(version, 1) << b.log();
}

}  // namespace
}  // namespace keyd::testing

namespace keyd::testing {
namespace {

// Issue 14 item 1: records whose metadata was deleted are never taken for an empty path.
TEST_F(DaemonCli, NeverIssuesAFirstKeyOverRecordsWithoutMetadataAndReportsIt) {
  for (int i = 0; i < 3; ++i) {
    const auto r = run_keyd({"rotate", "--config", "keyd.yaml"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const auto path_dir = dir / ".keyd/store/ipfs-overlay/swarm-key";
  ASSERT_TRUE(std::filesystem::remove(path_dir / "_metadata.json"));
  std::map<std::string, std::string> before;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / ".keyd/store")) {
    if (e.is_regular_file() && e.path().filename() != "_lock") before[e.path().string()] = read_file(e.path());
  }
  const std::string key = read_file(dir / "ipfs" / "swarm.key");

  Daemon d(dir.path(), "damaged");
  const int port = d.port();
  ASSERT_GT(port, 0) << d.log();
  EXPECT_FALSE(d.wait_log(R"(\[error\].*(_v1\.rec, _v2\.rec, _v3\.rec))").empty()) << d.log();
  json body;
  for (int i = 0; i < 200; ++i) {
    auto r = get(port, "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    body = json::parse(r->body);
    if (body["swarms"][0]["store_integrity_error"] == true) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(body["swarms"][0]["name"], "ipfs-overlay");
  EXPECT_EQ(body["swarms"][0]["store_integrity_error"], true) << body.dump();
  EXPECT_NE(body["swarms"][0]["last_error"].get<std::string>().find(".keyd/store/ipfs-overlay/swarm-key"),
            std::string::npos)
      << body.dump();
  const auto metrics = get(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("keyd_swarm_store_integrity_error{swarm=\"ipfs-overlay\"} 1"), std::string::npos)
      << metrics->body;

  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0) << d.log();
  EXPECT_EQ(d.log().find("issuing the first one"), std::string::npos) << d.log();
  std::map<std::string, std::string> after;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / ".keyd/store")) {
    if (e.is_regular_file() && e.path().filename() != "_lock") after[e.path().string()] = read_file(e.path());
  }
  EXPECT_EQ(after, before) << "the daemon changed the store";
  EXPECT_EQ(read_file(dir / "ipfs" / "swarm.key"), key) << "the daemon delivered a new key";
}

}  // namespace
}  // namespace keyd::testing
