// Real `keyd daemon` processes electing their leader on a coordination.k8s.io/v1 Lease in the
// kube-apiserver double (short lease times: 2 s lease, 1.5 s renew deadline, 500 ms retry period),
// sharing one file store: one initial key and one leader; the follower refuses writes; a killed
// leader is replaced within lease_duration + retry_period; SIGTERM releases the Lease so a new
// daemon leads at its first step; SIGHUP keeps the leadership, with a bad config and with a good one.
#include "daemon_process.hpp"
#include "support/http_test_client.hpp"
#include "support/kube_double.hpp"
#include "support/test_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "support/httplib_system.hpp"

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* k_token = "lease-test-token";
constexpr auto k_lease_duration = 2s;
constexpr auto k_retry_period = 500ms;
constexpr auto k_start_tolerance = 500ms;  // process start, first poll

// The real daemon, as the reload tests run it (daemon_process.hpp).
using Daemon = DaemonProcess;

// Two daemons started together on an empty store, sorted by who leads once both are ready.
struct Pair {
  std::unique_ptr<Daemon> leader, follower;
  int leader_port = -1, follower_port = -1;
};

class DaemonLease : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  static KubeDouble& kube() { return *s_kube; }

  void SetUp() override {
    kube().reset();
    write_file(dir / "keyd.yaml", config());
    write_file(dir / "tokens", sha256_hex(k_token) + " ci\n");
    ::chmod((dir / "tokens").c_str(), 0600);
  }

  [[nodiscard]] static std::string config(const std::string& extra = {}) {
    return "store: {backend: file, file: {dir: .keyd/store}}\n"
           "audit: {file: .keyd/audit.jsonl}\n"
           "kubernetes: {kubeconfig: " +
           kube().kubeconfig_file() +
           "}\n"
           "sync_interval: 1s\n"
           "server:\n"
           "  listen: 127.0.0.1:0\n"
           "  auth: {tokens_file: tokens}\n"
           "leader_election: {lease_name: keyd, lease_duration: 2s, renew_deadline: 1500ms, retry_period: 500ms}\n"
           "swarms:\n"
           "  - name: ipfs-overlay\n"
           "    rotation: {max_age: 720h}\n"
           "    operators: [\"token:ci\"]\n"
           "    targets: [{type: file, path: ipfs/swarm.key}]\n" +
           extra;
  }

  static httplib::Result get(int port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    return client.Get(path.c_str(), {{"Authorization", std::string("Bearer ") + k_token}});
  }

  static httplib::Result rotate(int port) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    return client.Post("/v1/swarms/ipfs-overlay/rotate", {{"Authorization", std::string("Bearer ") + k_token}}, "",
                       "application/json");
  }

  // "leader", "follower", or "" while not ready (or unreachable).
  static std::string leadership(int port) {
    auto r = get(port, "/readyz");
    if (!r || r->status != 200) return {};
    return json::parse(r->body)["leadership"].get<std::string>();
  }

  // Poll until /readyz answers 200: the first leadership it reports; "" after the timeout.
  static std::string first_leadership(int port, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (auto l = leadership(port); !l.empty()) return l;
      std::this_thread::sleep_for(5ms);
    }
    return {};
  }

  // When /readyz first says "leader", polled every 5 ms; nullopt after the timeout.
  static std::optional<Clock::time_point> wait_leader(int port, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (leadership(port) == "leader") return Clock::now();
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  static int metric_is_leader(int port) {
    auto r = get(port, "/metrics");
    if (!r || r->status != 200) return -1;
    std::smatch m;
    return std::regex_search(r->body, m, std::regex(R"(\nkeyd_is_leader (\d))")) ? std::stoi(m[1]) : -1;
  }

  // The version the daemon on `port` reports, polled until it is `want` (or the timeout).
  static int wait_version(int port, int want, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    int version = -1;
    while (Clock::now() < deadline) {
      auto r = get(port, "/v1/swarms");
      if (r && r->status == 200) version = json::parse(r->body)["swarms"][0]["version"].get<int>();
      if (version == want) break;
      std::this_thread::sleep_for(20ms);
    }
    return version;
  }

  [[nodiscard]] static json lease() { return kube().object("coordination.k8s.io", "leases", "default", "keyd"); }

  // Audit entries with this action and outcome.
  [[nodiscard]] std::vector<json> audited(std::string_view action, std::string_view outcome = "success") const {
    std::vector<json> out;
    std::istringstream in(read_file(dir / ".keyd" / "audit.jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json e = json::parse(line);
      if (e.value("action", "") == action && e.value("outcome", "") == outcome) out.push_back(e);
    }
    return out;
  }

  // The store's versions, as `keyd history --output json` reports them (an array, oldest first).
  [[nodiscard]] json history() const {
    auto r = run_keyd({"history", "--config", "keyd.yaml", "--output", "json"}, dir.path(), {{"HOME", dir.path()}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  Pair start_pair() {
    auto a = std::make_unique<Daemon>(dir.path(), "a");
    auto b = std::make_unique<Daemon>(dir.path(), "b");
    const int a_port = a->port();
    const int b_port = b->port();
    if (a_port < 0 || b_port < 0) {
      ADD_FAILURE() << "no API port\n" << a->log() << "\n" << b->log();
      return {};
    }
    const std::string la = first_leadership(a_port);
    const std::string lb = first_leadership(b_port);
    if (!((la == "leader" && lb == "follower") || (la == "follower" && lb == "leader"))) {
      ADD_FAILURE() << "leadership " << la << "/" << lb << "\n" << a->log() << "\n" << b->log();
      return {};
    }
    if (la == "leader") return Pair{std::move(a), std::move(b), a_port, b_port};
    return Pair{std::move(b), std::move(a), b_port, a_port};
  }

  TempDir dir;
  inline static std::unique_ptr<KubeDouble> s_kube;
};

TEST_F(DaemonLease, TwoDaemonsOnAnEmptyStoreIssueOneKeyAndOnlyTheLeaderWrites) {
  Pair p = start_pair();
  ASSERT_TRUE(p.leader) << kube().log_text();
  // One first key, from the leader.
  ASSERT_EQ(wait_version(p.leader_port, 1), 1) << p.leader->log();
  EXPECT_EQ(wait_version(p.follower_port, 1), 1) << p.follower->log();
  EXPECT_EQ(metric_is_leader(p.leader_port), 1);
  EXPECT_EQ(metric_is_leader(p.follower_port), 0);
  json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], p.leader->identity()) << l.dump();
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 2);
  std::this_thread::sleep_for(1500ms);  // a few sync intervals and election rounds for a second writer to show up
  auto issued = audited("rotate");
  ASSERT_EQ(issued.size(), 1U) << read_file(dir / ".keyd" / "audit.jsonl");
  EXPECT_EQ(issued[0]["version"], 1);
  EXPECT_EQ(issued[0]["actor"], "keyd-daemon@" + p.leader->identity());
  EXPECT_TRUE(audited("rotate", "failure").empty());
  json h = history();
  ASSERT_EQ(h.size(), 1U) << h.dump();
  EXPECT_EQ(h[0]["reason"], "initial");
  EXPECT_EQ(h[0]["issued_by"], "keyd-daemon@" + p.leader->identity());

  auto refused = rotate(p.follower_port);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  auto rotated = rotate(p.leader_port);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 200) << rotated->body;
  EXPECT_EQ(json::parse(rotated->body)["version"], 2);
  EXPECT_EQ(wait_version(p.follower_port, 2), 2) << "the follower reads the new version from the store";
  EXPECT_EQ(audited("rotate").size(), 2U);
  EXPECT_EQ(history().size(), 2U);
  EXPECT_EQ(lease()["spec"]["holderIdentity"], p.leader->identity()) << "leadership moved";
  EXPECT_EQ(lease()["spec"]["leaseTransitions"], 0);
}

TEST_F(DaemonLease, AKilledLeaderIsReplacedInTimeAndSigtermReleasesTheLeaseForTheNextDaemon) {
  Pair p = start_pair();
  ASSERT_TRUE(p.leader) << kube().log_text();
  ASSERT_EQ(wait_version(p.leader_port, 1), 1) << p.leader->log();

  p.leader->kill_now();
  const auto killed = Clock::now();
  const auto led = wait_leader(p.follower_port, 5s);
  ASSERT_TRUE(led) << p.follower->log();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(*led - killed);
  std::cout << "[ measure  ] takeover after SIGKILL: " << took.count() << " ms (lease 2000 ms, retry 500 ms)\n";
  EXPECT_LE(took, k_lease_duration + k_retry_period + k_start_tolerance) << p.follower->log();
  EXPECT_GE(took, k_lease_duration - k_retry_period - 200ms) << "took over before the lease could have expired";
  json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], p.follower->identity()) << l.dump();
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(metric_is_leader(p.follower_port), 1);
  EXPECT_EQ(wait_version(p.follower_port, 1), 1) << "the new leader rotated a key that was not due";

  // SIGTERM: exit 0 promptly, the Lease released.
  p.follower->signal(SIGTERM);
  const auto term = Clock::now();
  EXPECT_EQ(p.follower->wait_exit(3s), 0) << p.follower->log();
  std::cout << "[ measure  ] exit after SIGTERM: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - term).count() << " ms\n";
  l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "") << l.dump();
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 1) << l.dump();

  // A new daemon leads at its first election step, well before the old lease could have expired.
  Daemon c(dir.path(), "c");
  const int c_port = c.port();
  ASSERT_GT(c_port, 0) << c.log();
  EXPECT_EQ(first_leadership(c_port), "leader") << c.log();
  const auto ready = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.started());
  std::cout << "[ measure  ] third daemon ready as leader: " << ready.count() << " ms after its start\n";
  EXPECT_LT(ready, k_lease_duration) << c.log();
  EXPECT_EQ(lease()["spec"]["holderIdentity"], c.identity());
  EXPECT_EQ(wait_version(c_port, 1), 1);
}

// audit.sink stdout: the follower audits the key reads it serves while the leader rotates, the
// leader is killed, the follower takes over and rotates; the lines both printed verify as one chain
// up to the head in the store and account for every version.
TEST_F(DaemonLease, TwoDaemonsAuditingToStdoutExtendOneChainThroughAFailover) {
  std::string cfg = config();
  const auto replace = [&cfg](const std::string& from, const std::string& to) {
    const auto at = cfg.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    cfg.replace(at, from.size(), to);
  };
  replace("audit: {file: .keyd/audit.jsonl}", "audit: {sink: stdout}");
  replace("operators: [\"token:ci\"]", "operators: [\"token:ci\"]\n    key_readers: [\"token:ci\"]");
  write_file(dir / "keyd.yaml", cfg);
  Pair p = start_pair();
  ASSERT_TRUE(p.leader) << kube().log_text();
  ASSERT_EQ(wait_version(p.leader_port, 1), 1) << p.leader->log();

  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = get(p.follower_port, "/v1/swarms/ipfs-overlay/key");
      if (r && r->status == 200) ++served;
    }
  });
  for (int i = 0; i < 3; ++i) {
    auto rotated = rotate(p.leader_port);
    ASSERT_TRUE(rotated);
    EXPECT_EQ(rotated->status, 200) << rotated->body;
  }
  p.leader->kill_now();
  ASSERT_TRUE(wait_leader(p.follower_port, 5s)) << p.follower->log();
  stop = true;
  reader.join();
  EXPECT_GT(served.load(), 0) << p.follower->log();
  auto rotated = rotate(p.follower_port);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 200) << rotated->body;
  p.follower->signal(SIGTERM);
  EXPECT_EQ(p.follower->wait_exit(3s), 0) << p.follower->log();

  const std::string collected = p.leader->out() + p.follower->out();
  write_file(dir / "collected.log", collected);
  const auto verified =
      run_keyd({"audit", "verify", "--config", "keyd.yaml", "--file", "collected.log"}, dir.path(), {{"HOME", dir.path()}});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << collected;
  EXPECT_NE(verified.out.find("5 stored version(s) of 1 swarm(s) accounted for, 5 anchored"), std::string::npos)
      << verified.out;
  std::size_t fetches = 0;
  std::istringstream in(collected);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"action\":\"fetch\"") != std::string::npos) ++fetches;
  }
  EXPECT_EQ(fetches, static_cast<std::size_t>(served.load())) << "every key served is audited once";
}

TEST_F(DaemonLease, SighupKeepsTheLeadershipWithAnInvalidAndWithAValidConfig) {
  Pair p = start_pair();
  ASSERT_TRUE(p.leader) << kube().log_text();
  ASSERT_EQ(wait_version(p.leader_port, 1), 1) << p.leader->log();
  const std::string identity = p.leader->identity();
  const pid_t pid = p.leader->pid();

  write_file(dir / "keyd.yaml", config("bogus: 1\n"));
  p.leader->signal(SIGHUP);
  EXPECT_FALSE(p.leader->wait_log("the new configuration is invalid").empty()) << p.leader->log();
  std::this_thread::sleep_for(k_lease_duration + k_retry_period);  // longer than the lease: still renewed
  EXPECT_EQ(leadership(p.leader_port), "leader") << p.leader->log();
  EXPECT_EQ(leadership(p.follower_port), "follower") << p.follower->log();
  EXPECT_EQ(lease()["spec"]["holderIdentity"], identity);
  EXPECT_EQ(lease()["spec"]["leaseTransitions"], 0);

  write_file(dir / "keyd.yaml", config());
  p.leader->signal(SIGHUP);
  const int new_port = p.leader->port(2);  // restarted in place: a second "listening" line
  ASSERT_GT(new_port, 0) << p.leader->log();
  EXPECT_EQ(first_leadership(new_port), "leader") << p.leader->log();
  EXPECT_TRUE(p.leader->running());
  EXPECT_EQ(p.leader->pid(), pid);
  EXPECT_EQ(p.leader->identity(), identity);
  const json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], identity) << l.dump();
  EXPECT_EQ(l["spec"]["leaseTransitions"], 0) << "another daemon held the lease during the restart";
  EXPECT_EQ(p.leader->log().find("released lease"), std::string::npos) << "the lease was given up for a reload:\n"
                                                                       << p.leader->log();
  EXPECT_EQ(leadership(p.follower_port), "follower");
  EXPECT_EQ(p.follower->log().find(" leads "), std::string::npos) << p.follower->log();
  EXPECT_EQ(wait_version(new_port, 1), 1);
  EXPECT_EQ(audited("rotate").size(), 1U);

  p.leader->signal(SIGTERM);
  EXPECT_EQ(p.leader->wait_exit(3s), 0) << p.leader->log();
}

}  // namespace
}  // namespace keyd::testing
