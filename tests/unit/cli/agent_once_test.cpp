// keyd agent --once (the init container) against the Vault double with Kubernetes auth: the key
// lands byte-equal, 0600, owned as asked; an unchanged key is not rewritten; an unavailable Vault
// is retried a bounded number of times, then exit 1 naming Vault and the path, nothing written; a
// wrong role is refused at once with the 403.
#include "agent_cli_support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace keyd::testing {
namespace {

using json = nlohmann::json;

struct stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st;
}

TEST_F(AgentCli, OnceWritesTheStoredKeyByteEqualWithMode0600AndTheRequestedOwner) {
  const std::string key = rotate();
  vault.clear_requests();
  const auto r =
      agent({"--once", "--sink", "data/ipfs/swarm.key", "--uid", "1000", "--gid", "1000"}, {{"HOSTNAME", "ipfs-0"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto sink = dir / "data/ipfs/swarm.key";
  EXPECT_EQ(read_file(sink), key);
  const auto st = stat_of(sink);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1000U);
    EXPECT_EQ(st.st_gid, 1000U);
    EXPECT_EQ(stat_of(dir / "data/ipfs").st_uid, 1000U);  // created for the file: Kubo can reach it
  }
  EXPECT_NE(r.out.find("version 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": created"), std::string::npos) << r.out;
  EXPECT_EQ(requests_to("/v1/auth/kubernetes/login"), 1);
  EXPECT_EQ(requests_to("/v1/secret/metadata/"), 0);  // --once reads the key, nothing else

  // Audited: the fetch and the write, by user@pod.
  const std::string audit = read_file(dir / ".keyd/agent-audit.jsonl");
  // The actor: user@pod, and who Vault says the pod is (the login's role and service account).
  EXPECT_NE(audit.find(R"(@ipfs-0 vault:kubernetes/keyd-reader sa=ipfs/ipfs-node entity=)"), std::string::npos)
      << audit;
  EXPECT_NE(audit.find(R"("action":"fetch")"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("action":"sync")"), std::string::npos) << audit;
  for (const auto& text : {r.out, r.err, audit}) EXPECT_EQ(text.find(hex_of(key)), std::string::npos);
}

TEST_F(AgentCli, OnceLeavesAFileThatHoldsTheKeyUntouched) {
  rotate();
  ASSERT_EQ(agent({"--once", "--sink", "swarm.key"}).exit_code, 0);
  const auto before = stat_of(dir / "swarm.key");
  const auto second = agent({"--once", "--sink", "swarm.key"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find(": unchanged"), std::string::npos) << second.out;
  const auto after = stat_of(dir / "swarm.key");
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

  // A rotation is picked up by the next start: the trap of Kubo's image (key copied on first init only).
  const std::string v2 = rotate();
  ASSERT_EQ(agent({"--once", "--sink", "swarm.key"}).exit_code, 0);
  EXPECT_EQ(read_file(dir / "swarm.key"), v2);
}

TEST_F(AgentCli, OnceGivesUpOnAnUnavailableVaultAfterBoundedRetriesAndWritesNothing) {
  rotate();
  vault.control("POST", "faults",
                {{"path", "^/v1/secret/data/"},
                 {"status", 503},
                 {"body", {{"errors", {"Vault is sealed"}}}},
                 {"times", nullptr}});
  vault.clear_requests();
  const auto r = agent({"--once", "--sink", "swarm.key", "--retries", "2", "--retry-max-wait", "50ms"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
  EXPECT_EQ(requests_to("/v1/secret/data/"), 3);  // 1 + 2 retries (the config allows 1 attempt per read)
  EXPECT_NE(r.err.find("keyd: agent: waiting for vault " + vault.address()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("attempt 2/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("attempt 3/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("keyd: error: vault GET secret/data/ipfs-overlay/swarm-key: 503 Vault is sealed"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("gave up after 3 attempts"), std::string::npos) << r.err;
}

TEST_F(AgentCli, OnceGivesUpWhenVaultDoesNotAnswerAtAll) {
  // A port nobody listens on: what an init container sees while Vault is down.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string down = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ::close(fd);
  const auto r = run_keyd({"agent", "--config", "agent.yaml", "--once", "--sink", "swarm.key", "--retries", "1",
                           "--retry-max-wait", "20ms"},
                          dir.path(), {{"VAULT_ADDR", down}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("attempt 2/2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(down), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gave up after 2 attempts"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
}

TEST_F(AgentCli, OnceWithAWrongRoleFailsAtOnceWithThe403) {
  rotate();
  write_file(dir / "sa-token", service_account_jwt("intruder", "ipfs"));
  vault.clear_requests();
  const auto r = agent({"--once", "--sink", "swarm.key", "--retries", "3", "--retry-max-wait", "50ms"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("keyd: error: "), std::string::npos);
  EXPECT_NE(r.err.find("kubernetes login"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("auth/kubernetes/login: 403"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("waiting for"), std::string::npos) << r.err;  // a refusal is not retried
  EXPECT_EQ(requests_to("/v1/auth/kubernetes/login"), 1);
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
}

TEST_F(AgentCli, OnceWithAPolicyThatCannotReadThePathIsRefused) {
  rotate();
  vault.control("POST", "kubernetes/roles",
                {{"name", "keyd-reader"},
                 {"bound_service_account_names", {"ipfs-node"}},
                 {"bound_service_account_namespaces", {"ipfs"}},
                 {"policies", {"default"}}});
  const auto r = agent({"--once", "--sink", "swarm.key"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("secret/data/ipfs-overlay/swarm-key: 403"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
}

// An init container must not hang (issue 19): with the store's own retries (max_attempts 4 of 30 s
// each, the defaults) multiplied by the agent's, a frozen Vault kept `--once --retries 1` for over
// three minutes. --timeout bounds the whole fetch, every attempt and wait included: the store's
// requests get at most that long and no retries of their own (the agent's are the only ones), and
// a watchdog ends the process if an attempt still overruns. The bound asserted here is generous:
// this checks that the agent stops, not how fast.
TEST_F(AgentCli, OnceEndsWithinItsTimeoutWhenVaultIsFrozen) {
  rotate();
  write_agent_config("");  // the defaults: timeout 30s, max_attempts 4
  vault.control("POST", "faults", {{"path", "^/v1/secret/data/"}, {"delay_ms", 60000}, {"times", nullptr}});
  const auto started = std::chrono::steady_clock::now();
  BackgroundKeyd process(
      {"agent", "--config", "agent.yaml", "--once", "--sink", "swarm.key", "--retries", "5", "--timeout", "2s"},
      dir.path(), env({}));
  const int exit_code = process.wait_exit(std::chrono::seconds{20});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(exit_code, 1) << process.err();
  EXPECT_LT(took, std::chrono::seconds{8}) << "a 2 s time limit must end the agent within seconds";
  EXPECT_NE(process.err().find("time limit of 2s"), std::string::npos) << process.err();
  EXPECT_NE(process.err().find("secret/data/ipfs-overlay/swarm-key"), std::string::npos) << process.err();
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
}

// One attempt can be several requests (the Kubernetes login, then the read), each capped at the
// limit: a login answered just before it, then a read that never is, would end the attempt near
// twice the limit. The watchdog ends the process at the limit plus its grace (1.5 s) instead.
TEST_F(AgentCli, OnceIsEndedByTheWatchdogWhenAnAttemptOverrunsItsTimeout) {
  rotate();
  write_agent_config("");
  vault.control("POST", "faults", {{"path", "^/v1/auth/kubernetes/login"}, {"delay_ms", 1800}, {"times", 1}});
  vault.control("POST", "faults", {{"path", "^/v1/secret/data/"}, {"delay_ms", 60000}, {"times", nullptr}});
  const auto started = std::chrono::steady_clock::now();
  BackgroundKeyd process({"agent", "--config", "agent.yaml", "--once", "--sink", "swarm.key", "--timeout", "2s"},
                         dir.path(), env({}));
  const int exit_code = process.wait_exit(std::chrono::seconds{20});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(exit_code, 1) << process.err();
  EXPECT_LT(took, std::chrono::seconds{8});
  EXPECT_NE(process.err().find("still no key after the time limit of 2s"), std::string::npos) << process.err();
  EXPECT_FALSE(std::filesystem::exists(dir / "swarm.key"));
}

// Within the time limit the agent still retries: a Vault that answers 503 twice, then the key.
TEST_F(AgentCli, OnceRetriesWithinItsTimeout) {
  const std::string key = rotate();
  vault.control(
      "POST", "faults",
      {{"path", "^/v1/secret/data/"}, {"status", 503}, {"body", {{"errors", {"Vault is sealed"}}}}, {"times", 2}});
  const auto r =
      agent({"--once", "--sink", "swarm.key", "--retries", "5", "--retry-max-wait", "50ms", "--timeout", "20s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "swarm.key"), key);
  EXPECT_NE(r.err.find("attempt 3/6"), std::string::npos) << r.err;
}

TEST_F(AgentCli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(agent({"--once"}).exit_code, 2);  // --sink is required
  EXPECT_EQ(agent({"--once", "--sink", "k", "--on-change", "exit"}).exit_code, 2);
  EXPECT_EQ(agent({"--sink", "k", "--on-change", "signal"}).exit_code, 2);   // needs --pid-file
  EXPECT_EQ(agent({"--sink", "k", "--on-change", "command"}).exit_code, 2);  // needs the command
  EXPECT_EQ(agent({"--sink", "k", "--interval", "soon"}).exit_code, 2);
  EXPECT_EQ(agent({"--sink", "k", "--on-change", "signal", "--pid-file", "p", "--signal", "NOPE"}).exit_code, 2);
  const auto help = run_keyd({"agent", "--help"}, dir.path());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("or daemon (the keyd daemon's API"), std::string::npos) << help.out;  // the daemon source
  EXPECT_NE(help.out.find("--timeout"), std::string::npos) << help.out;
  EXPECT_EQ(agent({"--once", "--sink", "k", "--timeout", "never"}).exit_code, 2);
  EXPECT_EQ(agent({"--once", "--sink", "k", "--timeout", "0s"}).exit_code, 2);
  EXPECT_EQ(agent({"--sink", "k", "--timeout", "10s"}).exit_code, 2);  // bounds --once only
}

}  // namespace
}  // namespace keyd::testing
