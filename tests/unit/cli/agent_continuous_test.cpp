// keyd agent as a sidecar against the Vault double: a rotation while it runs reaches the file,
// and the on-change action runs exactly once (command, signal to a pid file, exit with status 3).
#include "agent_cli_support.hpp"

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class AgentSidecar : public AgentCli {
 protected:
  // Start the agent on swarm.key and wait until it wrote the current key.
  std::unique_ptr<BackgroundKeyd> start(std::vector<std::string> args, const std::string& key) {
    std::vector<std::string> full{"agent", "--config", "agent.yaml", "--sink", "swarm.key", "--interval", "100ms"};
    full.insert(full.end(), args.begin(), args.end());
    auto agent = std::make_unique<BackgroundKeyd>(full, dir.path(), env());
    EXPECT_TRUE(wait_for([&] { return read_or_empty(dir / "swarm.key") == key; }))
        << "the agent did not write the first key; stderr: " << agent->err();
    return agent;
  }
  // Wait until the agent polled the metadata `n` more times (so it had every chance to misbehave).
  void let_it_poll(int n) {
    const int base = requests_to("/v1/secret/metadata/");
    EXPECT_TRUE(wait_for([&] { return requests_to("/v1/secret/metadata/") >= base + n; }));
  }
};

TEST_F(AgentSidecar, ARotationReachesTheFileAndTheCommandRunsExactlyOnce) {
  const std::string v1 = rotate();
  auto agent = start(
      {"--on-change", "command", "--", "/bin/sh", "-c", "echo \"$KEYD_VERSION $KEYD_FINGERPRINT\" >> marker"}, v1);
  let_it_poll(3);
  EXPECT_FALSE(std::filesystem::exists(dir / "marker"));  // the first write is no change

  const std::string v2 = rotate();
  ASSERT_TRUE(wait_for([&] { return read_or_empty(dir / "marker").size() > 0; })) << agent->err();
  EXPECT_EQ(read_file(dir / "swarm.key"), v2);
  let_it_poll(5);
  const std::string marker = read_file(dir / "marker");
  EXPECT_EQ(std::count(marker.begin(), marker.end(), '\n'), 1) << marker;
  EXPECT_EQ(marker.rfind("2 ", 0), 0U) << marker;
  EXPECT_EQ(marker.find(hex_of(v2)), std::string::npos);  // the command learns the fingerprint, not the key
  // The key is read (and audited) only when the version changed; every other poll is metadata only.
  const std::string audit_now = read_file(dir / ".keyd/agent-audit.jsonl");
  int fetches = 0;
  for (auto at = audit_now.find(R"("action":"fetch")"); at != std::string::npos;
       at = audit_now.find(R"("action":"fetch")", at + 1)) {
    ++fetches;
  }
  EXPECT_EQ(fetches, 2) << audit_now;

  EXPECT_EQ(agent->stop(), 0);
  const std::string err = agent->err();
  EXPECT_NE(err.find("ran on-change action command /bin/sh"), std::string::npos) << err;
  for (const auto& key : {v1, v2}) {
    EXPECT_EQ(err.find(hex_of(key)), std::string::npos);
    EXPECT_EQ(agent->out().find(hex_of(key)), std::string::npos);
    EXPECT_EQ(read_file(dir / ".keyd/agent-audit.jsonl").find(hex_of(key)), std::string::npos);
  }
  const std::string audit = read_file(dir / ".keyd/agent-audit.jsonl");
  EXPECT_NE(audit.find(R"("action":"on-change")"), std::string::npos) << audit;
}

TEST_F(AgentSidecar, ARotationSignalsTheProcessInThePidFileOnce) {
  const std::string v1 = rotate();
  // The "consumer": a child of the test, so the test sees the signal in its wait status.
  const pid_t consumer = ::fork();
  if (consumer == 0) {
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(consumer, 0);
  write_file(dir / "kubo.pid", std::to_string(consumer) + "\n");
  auto agent = start({"--on-change", "signal", "--pid-file", "kubo.pid", "--signal", "TERM"}, v1);
  let_it_poll(2);
  int status = 0;
  EXPECT_EQ(::waitpid(consumer, &status, WNOHANG), 0);  // not signalled for the first write

  const std::string v2 = rotate();
  ASSERT_TRUE(wait_for([&] { return ::waitpid(consumer, &status, WNOHANG) == consumer; })) << agent->err();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(read_file(dir / "swarm.key"), v2);
  let_it_poll(3);
  // Signalled once: a second attempt would have found no process and said so.
  EXPECT_EQ(agent->err().find("No such process"), std::string::npos) << agent->err();
  EXPECT_EQ(agent->stop(), 0);
}

TEST_F(AgentSidecar, ARotationEndsTheAgentWithStatus3UnderOnChangeExit) {
  const std::string v1 = rotate();
  auto agent = start({"--on-change", "exit"}, v1);
  let_it_poll(2);
  EXPECT_TRUE(agent->running());
  const std::string v2 = rotate();
  EXPECT_EQ(agent->wait_exit(8s), 3) << agent->err();
  EXPECT_EQ(read_file(dir / "swarm.key"), v2);  // the new key is in place before it exits
}

TEST_F(AgentSidecar, KeepsRunningThroughAnOutageAndCatchesUp) {
  const std::string v1 = rotate();
  auto agent = start({"--retry-max-wait", "100ms"}, v1);
  const json fault = vault.control("POST", "faults", {{"path", "^/v1/secret/"}, {"status", 503}, {"times", nullptr}});
  // Rotated during the outage by another writer (the control API bypasses the fault).
  ASSERT_EQ(run_keyd({"generate", "--out", "v2.key"}, dir.path()).exit_code, 0);
  const std::string v2 = read_file(dir / "v2.key");
  const auto inspected = json::parse(run_keyd({"inspect", "v2.key", "--output", "json"}, dir.path()).out);
  vault.control(
      "POST", "kv",
      {{"mount", "secret"},
       {"path", "ipfs-overlay/swarm-key"},
       {"data",
        {{"swarm.key", v2}, {"fingerprint", inspected["fingerprint"]}, {"issued_by", "test"}, {"reason", "rotate"}}}});
  ASSERT_TRUE(wait_for([&] { return agent->err().find("503") != std::string::npos; })) << agent->err();
  EXPECT_EQ(read_file(dir / "swarm.key"), v1);
  vault.control("DELETE", "faults/" + std::to_string(fault["id"].get<int>()));
  ASSERT_TRUE(wait_for([&] { return read_or_empty(dir / "swarm.key") == v2; })) << agent->err();
  EXPECT_TRUE(agent->running());
  EXPECT_EQ(agent->stop(), 0);
}

}  // namespace
}  // namespace keyd::testing
