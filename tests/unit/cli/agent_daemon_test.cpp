// `keyd agent` with store.backend daemon (the key through the keyd daemon's API), end to end with
// the built binary: against an in-process server that answers per the API contract (a 503 is
// retried, then the sink is written 0600), against a real `keyd daemon` (key_readers honoured, the
// daemon audits the caller, write commands refused as read-only), and the Vault identity as the
// agent's audit actor with Kubernetes auth against the Vault double.
#include "agent_cli_support.hpp"

#include <fmt/format.h>
#include <pwd.h>

#include <deque>
#include <mutex>
#include <regex>

#include "support/http_test_client.hpp"  // sha256_hex
#include "support/httplib_system.hpp"

namespace keyd::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* k_token = "agent-daemon-test-token-7c1e";

std::string user_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : fmt::format("uid:{}", ::geteuid());
}

// The audit entries of a JSONL file with the given action.
std::vector<json> audit_entries(const std::filesystem::path& file, const std::string& action) {
  std::vector<json> out;
  std::istringstream lines(read_or_empty(file));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json entry = json::parse(line);
    if (entry.value("action", "") == action) out.push_back(entry);
  }
  return out;
}

std::string agent_config(const std::string& url) {
  return "store:\n  backend: daemon\n  daemon:\n    url: " + url +
         "\n    token_file: token\n    max_attempts: 1\n    timeout: 5s\n"
         "audit: {file: .keyd/agent-audit.jsonl}\n"
         "swarms:\n  - name: ipfs-overlay\n";
}

// Answers the daemon's API from a script: GET /v1/swarms/ipfs-overlay[/key].
class ScriptedDaemon {
 public:
  ScriptedDaemon() : m_server(std::make_unique<httplib::Server>()) {
    m_server->Get(R"(/v1/swarms/([^/]+)(/key)?)", [this](const httplib::Request& req, httplib::Response& res) {
      const std::scoped_lock lock(m_mutex);
      m_requests.push_back(req.path + " " + req.get_header_value("Authorization"));
      auto& queue = m_replies[req.path];
      if (queue.empty()) {
        res.status = 404;
        res.set_content(R"({"error":{"code":"not_found","message":"unscripted"}})", "application/json");
        return;
      }
      res.status = queue.front().first;
      res.set_content(queue.front().second, "application/json");
      queue.pop_front();
    });
    m_port = m_server->bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
  }
  ~ScriptedDaemon() {
    for (int i = 0; i < 5000 && !m_server->is_running(); ++i) std::this_thread::sleep_for(1ms);
    m_server->stop();
    m_thread.join();
  }
  ScriptedDaemon(const ScriptedDaemon&) = delete;
  ScriptedDaemon& operator=(const ScriptedDaemon&) = delete;

  void reply(const std::string& path, int status, std::string body) {
    const std::scoped_lock lock(m_mutex);
    m_replies[path].emplace_back(status, std::move(body));
  }
  [[nodiscard]] std::vector<std::string> requests() const {
    const std::scoped_lock lock(m_mutex);
    return m_requests;
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  mutable std::mutex m_mutex;
  std::map<std::string, std::deque<std::pair<int, std::string>>> m_replies;
  std::vector<std::string> m_requests;
  std::unique_ptr<httplib::Server> m_server;
  int m_port = 0;
  std::thread m_thread;
};

TEST(AgentDaemonSource, OnceRetriesA503ThenWritesTheSink0600) {
  TempDir dir;
  ScriptedDaemon daemon;
  // A key and its fingerprint, from `keyd generate`.
  const auto generated = run_keyd({"generate", "--out", "gen.key"}, dir.path());
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const std::string strong = read_file(dir / "gen.key");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(generated.out, match, std::regex(R"(fingerprint ([0-9a-f]{32}))"))) << generated.out;
  const std::string fingerprint = match[1].str();
  std::filesystem::remove(dir / "gen.key");

  const std::string key_path = "/v1/swarms/ipfs-overlay/key";
  daemon.reply(key_path, 503,
               R"({"error":{"code":"store_unavailable","message":"vault https://vault:8200: 503 Vault is sealed"}})");
  daemon.reply(key_path, 200,
               json{{"swarm", "ipfs-overlay"},
                    {"version", 4},
                    {"fingerprint", fingerprint},
                    {"created_time", "2026-11-27T10:00:00Z"},
                    {"key", strong}}
                   .dump());
  write_file(dir / "token", std::string(k_token) + "\n");
  write_file(dir / "agent.yaml", agent_config(daemon.url()));

  const auto r = run_keyd({"--log-level", "trace", "agent", "--config", "agent.yaml", "--once", "--sink",
                           "data/ipfs/swarm.key", "--retries", "3", "--retry-max-wait", "20ms"},
                          dir.path(), {{"HOSTNAME", "ipfs-0"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file(dir / "data/ipfs/swarm.key"), strong);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "data/ipfs/swarm.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_NE(r.err.find("keyd: agent: waiting for keyd daemon " + daemon.url() + ": attempt 2/4"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("503 store_unavailable"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("version 4 (fingerprint " + fingerprint + ")"), std::string::npos) << r.out;
  EXPECT_EQ(daemon.requests(),
            (std::vector<std::string>{key_path + " Bearer " + k_token, key_path + " Bearer " + k_token}));

  const auto fetches = audit_entries(dir / ".keyd/agent-audit.jsonl", "fetch");
  ASSERT_FALSE(fetches.empty());
  EXPECT_EQ(fetches.back()["actor"], user_name() + "@ipfs-0");
  EXPECT_EQ(fetches.back()["fingerprint"], fingerprint);
  const std::string hex = strong.substr(strong.size() - 65, 64);
  for (const auto& text : {r.out, r.err, read_file(dir / ".keyd/agent-audit.jsonl")}) {
    EXPECT_EQ(text.find(hex), std::string::npos) << "key material in output";
    EXPECT_EQ(text.find(k_token), std::string::npos) << "the token in output";
  }
}

TEST(AgentDaemonSource, ARefusalFailsAtOnceAndNamesTheTokenFileOrTheSwarm) {
  TempDir dir;
  ScriptedDaemon daemon;
  const std::string key_path = "/v1/swarms/ipfs-overlay/key";
  daemon.reply(key_path, 401, R"({"error":{"code":"unauthenticated","message":"the bearer token was not accepted"}})");
  daemon.reply(key_path, 403,
               R"({"error":{"code":"forbidden","message":"token:other may not read the key of swarm ipfs-overlay"}})");
  write_file(dir / "token", k_token);
  write_file(dir / "agent.yaml", agent_config(daemon.url()));
  const std::vector<std::string> args{"agent", "--config", "agent.yaml", "--once", "--sink", "swarm.key"};

  const auto rejected = run_keyd(args, dir.path());
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_NE(rejected.err.find("401 unauthenticated: the daemon rejected the token from " + (dir / "token").string()),
            std::string::npos)
      << rejected.err;
  const auto forbidden = run_keyd(args, dir.path());
  EXPECT_EQ(forbidden.exit_code, 1);
  EXPECT_NE(forbidden.err.find("not a key reader of swarm ipfs-overlay"), std::string::npos) << forbidden.err;
  EXPECT_EQ(daemon.requests().size(), 2U);  // no retries of a refusal
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
  for (const auto& text : {rejected.err, forbidden.err}) EXPECT_EQ(text.find(k_token), std::string::npos);
}

// A real `keyd daemon` on the embedded store, its API on 127.0.0.1 with a port chosen at run time.
class AgentAgainstKeydDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir / "daemon");
    write_file(dir / "daemon/keyd.yaml",
               "store: {backend: file, file: {dir: .keyd/store}}\n"
               "audit: {file: .keyd/audit.jsonl}\n"
               "sync_interval: 1s\n"
               "server:\n  listen: 127.0.0.1:0\n  auth: {tokens_file: tokens}\n"
               "leader_election: {lock_file: .keyd/daemon.lock}\n"
               "swarms:\n  - name: ipfs-overlay\n    key_readers: [\"token:reader\"]\n"
               "    operators: [\"token:reader\"]\n"
               "    targets: [{type: file, path: ipfs/swarm.key}]\n");
    write_file(dir / "daemon/tokens", sha256_hex(k_token) + " reader\n" + sha256_hex("other-token") + " other\n");
    ::chmod((dir / "daemon/tokens").c_str(), 0600);
    daemon = std::make_unique<BackgroundKeyd>(
        std::vector<std::string>{"--log-level", "info", "daemon", "--config", "keyd.yaml"}, dir / "daemon",
        std::map<std::string, std::string>{});
    std::smatch match;
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    ASSERT_TRUE(wait_for([&] {
      const std::string err = daemon->err();
      return std::regex_search(err, match, listening);
    })) << daemon->err();
    const std::string err = daemon->err();
    ASSERT_TRUE(std::regex_search(err, match, listening));
    url = "http://127.0.0.1:" + match[1].str();
    ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(dir / "daemon/ipfs/swarm.key"); }))
        << "the daemon issued no first key: " << daemon->err();
    write_file(dir / "agent/agent.yaml", agent_config(url));
    write_file(dir / "agent/token", std::string(k_token) + "\n");
  }

  TempDir dir;
  std::unique_ptr<BackgroundKeyd> daemon;
  std::string url;
};

TEST_F(AgentAgainstKeydDaemon, TheAgentGetsTheDaemonsKeyAndWritesAreRefused) {
  const auto r = run_keyd({"agent", "--config", "agent.yaml", "--once", "--sink", "swarm.key"}, dir / "agent",
                          {{"HOSTNAME", "ipfs-0"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << daemon->err();
  const std::string key = read_file(dir / "daemon/ipfs/swarm.key");
  EXPECT_EQ(read_file(dir / "agent/swarm.key"), key);

  // Both sides audited the read: the daemon names the caller, the agent names itself.
  const auto daemon_fetches = audit_entries(dir / "daemon/.keyd/audit.jsonl", "fetch");
  ASSERT_FALSE(daemon_fetches.empty()) << read_or_empty(dir / "daemon/.keyd/audit.jsonl");
  EXPECT_NE(daemon_fetches.back()["actor"].get<std::string>().find("token:reader"), std::string::npos);
  const auto agent_fetches = audit_entries(dir / "agent/.keyd/agent-audit.jsonl", "fetch");
  ASSERT_FALSE(agent_fetches.empty());
  EXPECT_EQ(agent_fetches.back()["actor"], user_name() + "@ipfs-0");

  // keyd fetch and history read through the same backend; rotate is refused as read-only (exit 2).
  const auto fetched = run_keyd({"fetch", "--config", "agent.yaml", "--out", "fetched.key"}, dir / "agent");
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(read_file(dir / "agent/fetched.key"), key);
  const auto rotate = run_keyd({"rotate", "--config", "agent.yaml"}, dir / "agent");
  EXPECT_EQ(rotate.exit_code, 2) << rotate.out << rotate.err;
  EXPECT_NE(rotate.err.find("read-only"), std::string::npos) << rotate.err;

  // Another caller, known to the daemon but not a key reader: refused at once, nothing written.
  write_file(dir / "agent/token", "other-token\n");
  const auto refused = run_keyd({"agent", "--config", "agent.yaml", "--once", "--sink", "other.key"}, dir / "agent");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("403 forbidden: not a key reader of swarm ipfs-overlay"), std::string::npos)
      << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "agent/other.key"));

  const std::string hex = key.substr(key.size() - 65, 64);
  for (const auto& text : {r.out, r.err, fetched.err, rotate.err, refused.err, daemon->err()}) {
    EXPECT_EQ(text.find(hex), std::string::npos) << "key material in output";
    EXPECT_EQ(text.find(k_token), std::string::npos) << "the token in output";
  }
}

TEST_F(AgentAgainstKeydDaemon, TheSidecarFollowsARotationThroughTheCheapVersionCall) {
  BackgroundKeyd sidecar({"agent", "--config", "agent.yaml", "--sink", "swarm.key", "--interval", "100ms"},
                         dir / "agent", {{"HOSTNAME", "ipfs-0"}});
  const std::string first = read_file(dir / "daemon/ipfs/swarm.key");
  ASSERT_TRUE(wait_for([&] { return read_or_empty(dir / "agent/swarm.key") == first; })) << sidecar.err();

  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5s);
  const auto rotated = client.Post("/v1/swarms/ipfs-overlay/rotate",
                                   {{"Authorization", std::string("Bearer ") + k_token}}, "", "application/json");
  ASSERT_TRUE(rotated);
  ASSERT_EQ(rotated->status, 200) << rotated->body;
  const std::string second = read_file(dir / "daemon/ipfs/swarm.key");
  ASSERT_NE(second, first);
  EXPECT_TRUE(wait_for([&] { return read_or_empty(dir / "agent/swarm.key") == second; })) << sidecar.err();
  EXPECT_EQ(sidecar.stop(), 0) << sidecar.err();
  // Two key reads in all (one per version); the polls in between only asked for the version.
  EXPECT_EQ(audit_entries(dir / "agent/.keyd/agent-audit.jsonl", "fetch").size(), 2U);
  for (const auto& key : {first, second})
    EXPECT_EQ(sidecar.err().find(key.substr(key.size() - 65, 64)), std::string::npos);
}

// Kubernetes auth against the Vault double: the audit actor says which role and service account.
TEST_F(AgentCli, TheAuditActorNamesTheVaultRoleAndServiceAccount) {
  rotate();
  for (int run = 0; run < 2; ++run) {
    const auto r = agent({"--once", "--sink", "swarm.key"}, {{"HOSTNAME", "ipfs-0"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const auto fetches = audit_entries(dir / ".keyd/agent-audit.jsonl", "fetch");
  ASSERT_EQ(fetches.size(), 2U);
  const std::string actor = fetches[0]["actor"];
  const std::regex expected(user_name() +
                            R"(@ipfs-0 vault:kubernetes/keyd-reader sa=ipfs/ipfs-node entity=[0-9a-f-]{36})");
  EXPECT_TRUE(std::regex_match(actor, expected)) << actor;
  EXPECT_EQ(fetches[1]["actor"], actor);  // the same Vault entity for the same service account
  const auto syncs = audit_entries(dir / ".keyd/agent-audit.jsonl", "sync");
  ASSERT_FALSE(syncs.empty());
  EXPECT_EQ(syncs[0]["actor"], actor);
}

}  // namespace
}  // namespace keyd::testing
