// SIGHUP with a configuration the restarted daemon could not start on (issue 15 item 5): the real
// `keyd daemon` keeps serving on its running configuration — same PID, same port, same tokens —
// logs why (naming the file or field), counts it in keyd_config_reloads_total{outcome="rejected"}
// and, on a Lease in the kube-apiserver double, keeps leading (nothing released). A configuration
// that can start still restarts in place, counted as "restarted", and a burst of SIGHUPs during
// the restarts never kills the daemon.
#include "daemon_process.hpp"
#include "support/http_test_client.hpp"
#include "support/kube_double.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <regex>

#include "support/httplib_system.hpp"

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* k_token = "reload-test-token";
constexpr auto k_lease_duration = 2s;
constexpr auto k_retry_period = 500ms;
// The SIGHUP outcome lines: the rejection, or today's restart.
constexpr const char* k_outcome =
    R"(SIGHUP: (the new configuration is invalid or cannot start|configuration \S+ is valid))";

httplib::Result get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2s);
  client.set_read_timeout(5s);
  return client.Get(path.c_str(), {{"Authorization", std::string("Bearer ") + k_token}});
}

// keyd_config_reloads_total{outcome} on /metrics; -1 when absent or unreachable.
int reloads(int port, const std::string& outcome) {
  auto r = get(port, "/metrics");
  if (!r || r->status != 200) return -1;
  std::smatch m;
  const std::regex re("\nkeyd_config_reloads_total\\{outcome=\"" + outcome + "\"\\} (\\d+)\n");
  return std::regex_search(r->body, m, re) ? std::stoi(m[1]) : -1;
}

int count_matches(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

class DaemonReload : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "keyd.yaml", config());
    write_file(dir / "tokens", sha256_hex(k_token) + " ci\n");
    ::chmod((dir / "tokens").c_str(), 0600);
  }

  // The daemon config; `server` is added to the server block after `auth`.
  [[nodiscard]] std::string config(const std::string& listen = "127.0.0.1:0", const std::string& server = {}) const {
    return "store: {backend: file, file: {dir: .keyd/store}}\n"
           "audit: {file: .keyd/audit.jsonl}\n"
           "sync_interval: 1s\n"
           "server: {listen: \"" +
           listen + "\", auth: {tokens_file: tokens}" + server + "}\n" + election +
           "swarms:\n"
           "  - name: ipfs-overlay\n"
           "    rotation: {max_age: 720h}\n"
           "    operators: [\"token:ci\"]\n"
           "    targets: [{type: file, path: ipfs/swarm.key}]\n";
  }

  // SIGHUP number `nth` was refused: the same process serves on `port` with its tokens, logged
  // `why`, counted it, and did not start again.
  static void expect_kept(DaemonProcess& d, int port, int nth, const std::string& why) {
    d.signal(SIGHUP);
    const std::string outcome = d.wait_log(k_outcome, nth);
    EXPECT_EQ(outcome, "the new configuration is invalid or cannot start") << d.log();
    EXPECT_NE(d.log().find(why), std::string::npos) << "the log does not say why:\n" << d.log();
    EXPECT_TRUE(d.running()) << d.log();
    auto health = get(port, "/healthz");
    ASSERT_TRUE(health) << "the daemon stopped serving on its port:\n" << d.log();
    EXPECT_EQ(health->status, 200);
    auto swarms = get(port, "/v1/swarms");
    ASSERT_TRUE(swarms);
    EXPECT_EQ(swarms->status, 200) << "the running tokens no longer work: " << swarms->body;
    EXPECT_EQ(reloads(port, "rejected"), nth);
    EXPECT_EQ(reloads(port, "restarted"), 0);
    EXPECT_EQ(count_matches(d.log(), "listening on"), 1) << "the daemon started again:\n" << d.log();
    EXPECT_EQ(d.log().find(k_token), std::string::npos) << "a token in the log";
  }

  // A daemon serving, with its port; -1 when it did not start.
  int start(std::unique_ptr<DaemonProcess>& d) {
    d = std::make_unique<DaemonProcess>(dir.path(), "daemon");
    const int port = d->port();
    if (port < 0) ADD_FAILURE() << d->log();
    return port;
  }

  TempDir dir;
  std::string election = "leader_election: {lock_file: .keyd/daemon.lock}\n";  // the config's lines
};

TEST_F(DaemonReload, KeepsServingWhenTheTokensFileBecameWorldReadable) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  ::chmod((dir / "tokens").c_str(), 0644);
  expect_kept(*d, port, 1, "tokens file " + (dir / "tokens").string() + ": readable by everyone (mode 644)");
}

TEST_F(DaemonReload, KeepsServingWhenTheTokensFileWasDeleted) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  std::filesystem::remove(dir / "tokens");
  expect_kept(*d, port, 1, "tokens file " + (dir / "tokens").string() + ": cannot be read");
}

TEST_F(DaemonReload, KeepsServingWhenTheNewListenPortIsHeldByAnotherSocket) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  const HeldPort held;
  const std::string address = "127.0.0.1:" + std::to_string(held.port());
  write_file(dir / "keyd.yaml", config(address));
  expect_kept(*d, port, 1, "listen on " + address + ": cannot bind");
}

TEST_F(DaemonReload, KeepsServingWhenTheTlsCertificateIsMissing) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  write_file(dir / "keyd.yaml", config("127.0.0.1:0", ", tls: {cert_file: missing.crt, key_file: missing.key}"));
  expect_kept(*d, port, 1,
              "TLS certificate " + (dir / "missing.crt").string() + " or key " + (dir / "missing.key").string() +
                  ": cannot be loaded");
}

TEST_F(DaemonReload, KeepsServingWhenTheNewKubeconfigIsMissing) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  write_file(dir / "keyd.yaml", config() + "kubernetes: {kubeconfig: missing.kubeconfig}\n");
  expect_kept(*d, port, 1, "missing.kubeconfig");
}

TEST_F(DaemonReload, KeepsServingOnInvalidYamlAndCountsIt) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  write_file(dir / "keyd.yaml", config() + "bogus: 1\n");
  expect_kept(*d, port, 1, "keyd.yaml:11:1: unknown key 'bogus'");
}

TEST_F(DaemonReload, AValidChangeStillRestartsInPlaceAndTheCountsCarryOver) {
  std::unique_ptr<DaemonProcess> d;
  const int port = start(d);
  ASSERT_GT(port, 0);
  ::chmod((dir / "tokens").c_str(), 0644);
  expect_kept(*d, port, 1, "readable by everyone");
  const pid_t pid = d->pid();

  // Fixed, and moved to another free port: checked (bound and closed again), then taken by the new image.
  ::chmod((dir / "tokens").c_str(), 0600);
  int free_port = 0;
  {
    const HeldPort probe;
    free_port = probe.port();
  }
  write_file(dir / "keyd.yaml", config("127.0.0.1:" + std::to_string(free_port)));
  d->signal(SIGHUP);
  EXPECT_EQ(d->wait_log(k_outcome, 2), "configuration keyd.yaml is valid") << d->log();
  const int new_port = d->port(2);
  ASSERT_EQ(new_port, free_port) << d->log();
  EXPECT_TRUE(d->running());
  EXPECT_EQ(d->pid(), pid);
  auto health = get(new_port, "/healthz");
  ASSERT_TRUE(health) << d->log();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(reloads(new_port, "restarted"), 1) << d->log();
  EXPECT_EQ(reloads(new_port, "rejected"), 1);
  d->signal(SIGTERM);
  EXPECT_EQ(d->wait_exit(), 0) << d->log();
}

// SIGHUPs that arrive while the daemon restarts in place (before the new image waits for signals)
// wait for it instead of taking SIGHUP's default action, which kills the process.
TEST_F(DaemonReload, ABurstOfSighupsNeverKillsTheDaemon) {
  std::unique_ptr<DaemonProcess> d;
  ASSERT_GT(start(d), 0);
  const pid_t pid = d->pid();
  for (int i = 0; i < 40 && d->running(); ++i) {
    d->signal(SIGHUP);
    std::this_thread::sleep_for(10ms);
  }
  // Settled: every restart logged has started its image, and no other followed for 300 ms.
  int port = -1;
  int settled_at = -1;
  for (const auto deadline = std::chrono::steady_clock::now() + 15s;
       port < 0 && d->running() && std::chrono::steady_clock::now() < deadline;) {
    const std::string log = d->log();
    const int starts = count_matches(log, "listening on");
    const bool settled = starts == count_matches(log, "restarting in place") + 1;
    if (settled && starts == settled_at) port = d->port(starts);
    settled_at = settled ? starts : -1;
    if (port < 0) std::this_thread::sleep_for(300ms);
  }
  ASSERT_TRUE(d->running()) << "killed by a SIGHUP:\n" << d->log();
  ASSERT_GT(port, 0) << d->log();
  EXPECT_EQ(d->pid(), pid);
  auto health = get(port, "/healthz");
  ASSERT_TRUE(health) << d->log();
  EXPECT_EQ(health->status, 200);
  EXPECT_GE(reloads(port, "restarted"), 1);
  std::cout << "[ measure  ] restarts in place during the burst: " << reloads(port, "restarted") << "\n";
}

// The same refusals with leadership on a Lease: the leader keeps it (renewed, not released) and
// its follower stays a follower.
class DaemonReloadLease : public DaemonReload {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }

  void SetUp() override {
    s_kube->reset();
    election = "kubernetes: {kubeconfig: " + s_kube->kubeconfig_file() +
               "}\n"
               "leader_election: {lease_name: keyd, lease_duration: 2s, renew_deadline: 1500ms, retry_period: 500ms}\n";
    DaemonReload::SetUp();
  }

  [[nodiscard]] static json lease() { return s_kube->object("coordination.k8s.io", "leases", "default", "keyd"); }

  static std::string leadership(int port) {
    for (int i = 0; i < 250; ++i) {
      auto r = get(port, "/readyz");
      if (r && r->status == 200) return json::parse(r->body)["leadership"].get<std::string>();
      std::this_thread::sleep_for(20ms);
    }
    return {};
  }

  inline static std::unique_ptr<KubeDouble> s_kube;
};

TEST_F(DaemonReloadLease, TheLeaderKeepsItsLeaseThroughEveryRefusedReload) {
  DaemonProcess a(dir.path(), "a");
  const int a_port = a.port();
  ASSERT_GT(a_port, 0) << a.log();
  ASSERT_EQ(leadership(a_port), "leader") << a.log();
  DaemonProcess b(dir.path(), "b");
  const int b_port = b.port();
  ASSERT_GT(b_port, 0) << b.log();
  ASSERT_EQ(leadership(b_port), "follower") << b.log();
  const std::string identity = a.identity();
  ASSERT_EQ(lease()["spec"]["holderIdentity"], identity);

  const HeldPort held;
  const std::string address = "127.0.0.1:" + std::to_string(held.port());
  ::chmod((dir / "tokens").c_str(), 0644);
  expect_kept(a, a_port, 1, "readable by everyone");
  ::chmod((dir / "tokens").c_str(), 0600);
  write_file(dir / "keyd.yaml", config(address));
  expect_kept(a, a_port, 2, "listen on " + address + ": cannot bind");
  write_file(dir / "keyd.yaml", config("127.0.0.1:0", ", tls: {cert_file: missing.crt, key_file: missing.key}"));
  expect_kept(a, a_port, 3, "TLS certificate " + (dir / "missing.crt").string());
  write_file(dir / "keyd.yaml", config());
  std::filesystem::remove(dir / "tokens");
  expect_kept(a, a_port, 4, "tokens file " + (dir / "tokens").string() + ": cannot be read");

  std::this_thread::sleep_for(k_lease_duration + k_retry_period);  // longer than the lease: still renewed
  EXPECT_EQ(leadership(a_port), "leader") << a.log();
  EXPECT_EQ(leadership(b_port), "follower") << b.log();
  const json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], identity) << l.dump();
  EXPECT_EQ(l["spec"]["leaseTransitions"], 0) << l.dump();
  EXPECT_EQ(a.log().find("released lease"), std::string::npos) << a.log();
}

}  // namespace
}  // namespace keyd::testing
