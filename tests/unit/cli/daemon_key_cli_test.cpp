// GET /v1/swarms/{name}/key end to end: the real `keyd daemon` (embedded file store, API on
// 127.0.0.1 with a port chosen at run time) wired from swarms[].key_readers — a reader gets the
// key its file target holds, with no-store; a caller that may rotate may not read; the read is
// audited; the key is in no log line at debug level. A bad key_readers entry is a config error.
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

extern char** environ;

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* k_agent = "agent-token-for-the-key-endpoint";
constexpr const char* k_ci = "ci-token-for-the-key-endpoint";


class KeyEndpointCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "keyd.yaml", R"(store: {backend: file, file: {dir: .keyd/store}}
audit: {file: .keyd/audit.jsonl}
sync_interval: 1s
server:
  listen: 127.0.0.1:0
  auth: {tokens_file: tokens}
leader_election: {lock_file: .keyd/daemon.lock}
swarms:
  - name: ipfs-overlay
    key_readers: ["token:agent"]
    targets: [{type: file, path: ipfs/swarm.key}]
  - name: closed
    targets: [{type: file, path: closed/swarm.key}]
)");
    write_file(dir / "tokens", sha256_hex(k_agent) + " agent\n" + sha256_hex(k_ci) + " ci\n");
    ::chmod((dir / "tokens").c_str(), 0600);
  }

  void TearDown() override {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
  }

  // Starts `keyd --log-level debug daemon`; returns its API port (read from its log), -1 on timeout.
  int start() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addchdir_np(&actions, dir.path().c_str());
    std::vector<std::string> args{KEYD_BINARY, "--log-level", "debug", "daemon", "--config", "keyd.yaml"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&m_pid, KEYD_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    const std::regex re(R"(listening on http://127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 400; ++i) {
      const std::string text = log();
      std::smatch m;
      if (std::regex_search(text, m, re)) return std::stoi(m[1]);
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  [[nodiscard]] std::filesystem::path log_path() const { return dir / "daemon.log"; }
  [[nodiscard]] std::string log() const { return read_file(log_path()); }

  static httplib::Result get(int port, const std::string& path, const char* token) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    httplib::Headers headers;
    if (token != nullptr) headers.emplace("Authorization", std::string("Bearer ") + token);
    return client.Get(path.c_str(), headers);
  }

  TempDir dir;
  pid_t m_pid = -1;
};

TEST_F(KeyEndpointCli, AReaderGetsTheKeyTheTargetHoldsAndNobodyElseDoes) {
  const int port = start();
  ASSERT_GT(port, 0) << log();
  const auto key_file = dir / "ipfs" / "swarm.key";
  for (int i = 0; i < 400 && !std::filesystem::exists(key_file); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(std::filesystem::exists(key_file)) << "the first key was not issued: " << log();
  const std::string key = read_file(key_file);

  auto r = get(port, "/v1/swarms/ipfs-overlay/key", k_agent);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  const json body = json::parse(r->body);
  EXPECT_EQ(body["key"], key);
  EXPECT_EQ(body["swarm"], "ipfs-overlay");
  EXPECT_EQ(body["version"], 1);
  // The metadata call answers from the state the loop publishes after its check: wait for it.
  json meta = json::object();
  for (int i = 0; i < 400 && meta.value("version", 0) != 1; ++i) {
    if (i > 0) std::this_thread::sleep_for(20ms);
    meta = json::parse(get(port, "/v1/swarms/ipfs-overlay", k_agent)->body);
  }
  EXPECT_EQ(body["fingerprint"], meta["fingerprint"]);
  EXPECT_EQ(body["created_time"], meta["created"]);

  r = get(port, "/v1/swarms/ipfs-overlay/key", k_ci);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["message"],
            "token:ci may not read the key of swarm ipfs-overlay (not in swarms[].key_readers)");
  r = get(port, "/v1/swarms/closed/key", k_agent);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << "a swarm without key_readers serves nobody: " << r->body;
  r = get(port, "/v1/swarms/ipfs-overlay/key", nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"keyd\"");

  const std::string audit = read_file(dir / ".keyd" / "audit.jsonl");
  EXPECT_NE(audit.find(R"("actor":"token:agent","action":"fetch","swarm":"ipfs-overlay","version":1)"),
            std::string::npos)
      << audit;
  EXPECT_NE(audit.find(R"("actor":"token:ci","action":"fetch")"), std::string::npos) << audit;

  ::kill(m_pid, SIGTERM);
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log();
  const std::string hex = key.substr(key.size() - 65, 64);
  EXPECT_NE(log().find("api: token:agent read the key of swarm ipfs-overlay"), std::string::npos) << log();
  EXPECT_EQ(log().find(hex), std::string::npos) << "key material in the log";
  EXPECT_EQ(audit.find(hex), std::string::npos) << "key material in the audit trail";
}

TEST_F(KeyEndpointCli, AKeyReaderThatIsNotACallerNameIsAConfigError) {
  write_file(dir / "keyd.yaml", R"(swarms:
  - name: ipfs-overlay
    key_readers: ["token:agent", "system:serviceaccount:ipfs:ipfs-overlay"]
)");
  const auto r = run_keyd({"daemon", "--config", "keyd.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("keyd.yaml:3:34: swarms[0].key_readers[1]: 'system:serviceaccount:ipfs:ipfs-overlay' is not a "
                       "caller"),
            std::string::npos)
      << r.err;
}

TEST_F(KeyEndpointCli, TheDaemonRefusesTheReadOnlyDaemonBackendBeforeItStarts) {
  write_file(dir / "keyd.yaml", R"(store:
  backend: daemon
  daemon: {url: "http://127.0.0.1:1", token_file: token}
swarms:
  - name: ipfs-overlay
)");
  const auto r = run_keyd({"daemon", "--config", "keyd.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("keyd.yaml: store.backend 'daemon' is read-only"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("listening"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace keyd::testing
