// The agent's on-change actions: a command (no shell, environment without the key or the Vault
// token, time limit), a signal to the pid in a pid file, exit; signal names.
#include "keyd/adapters/agent/agent_actions.hpp"
#include "support/test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const ports::KeyChange k_change{"ipfs-overlay", "file /data/ipfs/swarm.key (mode 0600)", 7,
                                "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"};

TEST(AgentCommandAction, RunsWithoutAShellAndTellsWhatChangedButNeverTheKeyOrTheToken) {
  TempDir dir;
  ::setenv("VAULT_TOKEN", "hvs.must-not-leak", 1);
  const auto marker = dir / "marker";
  // argv goes to the program as given: the "$(...)" stays literal because no shell parses argv.
  auto action = make_command_action({"/bin/sh", "-c", "env > \"$0\"", marker.string()}, 5s);
  EXPECT_EQ(action->describe(), "command /bin/sh -c env > \"$0\" " + marker.string());
  auto after = action->run(k_change);
  ::unsetenv("VAULT_TOKEN");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*after, ports::AfterChange::keep_running);
  const std::string env = testing::read_file(marker);
  EXPECT_NE(env.find("KEYD_SWARM=ipfs-overlay\n"), std::string::npos) << env;
  EXPECT_NE(env.find("KEYD_VERSION=7\n"), std::string::npos);
  EXPECT_NE(env.find("KEYD_FINGERPRINT=0123456789abcdef0123456789abcdef\n"), std::string::npos);
  EXPECT_NE(env.find("KEYD_PREVIOUS_FINGERPRINT=fedcba9876543210fedcba9876543210\n"), std::string::npos);
  EXPECT_EQ(env.find("VAULT_TOKEN"), std::string::npos) << env;
  EXPECT_EQ(env.find("hvs.must-not-leak"), std::string::npos);
}

TEST(AgentCommandAction, ANonZeroExitIsAnErrorNamingTheCommandAndStatus) {
  auto action = make_command_action({"/bin/sh", "-c", "exit 3"}, 5s);
  auto after = action->run(k_change);
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("command /bin/sh -c exit 3: exited with status 3"), std::string::npos)
      << after.error().message;
}

TEST(AgentCommandAction, AMissingProgramIsAnError) {
  auto after = make_command_action({"keyd-no-such-program-here"}, 5s)->run(k_change);
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("cannot start keyd-no-such-program-here"), std::string::npos)
      << after.error().message;
}

TEST(AgentCommandAction, TheTimeLimitKillsTheCommandAndWhatItStarted) {
  TempDir dir;
  const auto pid_file = dir / "grandchild.pid";
  // The shell starts a grandchild and waits: both are in the command's process group.
  auto action = make_command_action({"/bin/sh", "-c", "sleep 30 & echo $! > \"$0\"; wait", pid_file.string()}, 300ms);
  const auto start = std::chrono::steady_clock::now();
  auto after = action->run(k_change);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::timeout);
  EXPECT_NE(after.error().message.find("did not finish within 300 ms"), std::string::npos) << after.error().message;
  EXPECT_LT(took, 5s);
  const pid_t grandchild = std::stoi(testing::read_file(pid_file));
  // The grandchild got the group's SIGTERM (it may linger as a zombie of init for a moment).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    const std::string stat = [&] {
      try {
        return testing::read_file("/proc/" + std::to_string(grandchild) + "/stat");
      } catch (...) {
        return std::string();
      }
    }();
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "pid " << grandchild << " still running";
}

// A child that waits to be signalled, reaped by the test.
pid_t start_sleeper() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

TEST(AgentSignalAction, SignalsThePidInThePidFile) {
  TempDir dir;
  const pid_t child = start_sleeper();
  ASSERT_GT(child, 0);
  testing::write_file(dir / "kubo.pid", std::to_string(child) + "\n");
  auto action = make_signal_action(dir / "kubo.pid", SIGTERM);
  EXPECT_EQ(action->describe(), "signal TERM to the pid in " + (dir / "kubo.pid").string());
  auto after = action->run(k_change);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*after, ports::AfterChange::keep_running);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);

  // The process is gone now: the error names the pid and the file.
  auto gone = action->run(k_change);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::not_found);
  EXPECT_NE(gone.error().message.find("signal TERM to pid " + std::to_string(child)), std::string::npos)
      << gone.error().message;
}

TEST(AgentSignalAction, AMissingOrMalformedPidFileIsAnErrorNamingIt) {
  TempDir dir;
  auto missing = make_signal_action(dir / "none.pid", SIGHUP)->run(k_change);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find((dir / "none.pid").string()), std::string::npos) << missing.error().message;
  for (const std::string content : {"", "abc", "12x", "1", "-5"}) {
    testing::write_file(dir / "bad.pid", content);
    auto bad = make_signal_action(dir / "bad.pid", SIGHUP)->run(k_change);
    ASSERT_FALSE(bad) << "'" << content << "'";
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_input) << content;
  }
}

TEST(AgentExitAction, AsksTheAgentToExit) {
  auto action = make_exit_action();
  EXPECT_EQ(action->describe(), "exit");
  EXPECT_EQ(action->run(k_change).value(), ports::AfterChange::exit);
}

TEST(AgentSignalNames, NamesAndNumbers) {
  struct Case {
    const char* text;
    int expected;  // 0: invalid
  };
  for (const Case c : {Case{"TERM", SIGTERM}, Case{"SIGTERM", SIGTERM}, Case{"hup", SIGHUP}, Case{"usr1", SIGUSR1},
                       Case{"9", SIGKILL}, Case{"", 0}, Case{"SIGFOO", 0}, Case{"0", 0}, Case{"999", 0}}) {
    auto parsed = parse_signal(c.text);
    if (c.expected == 0) {
      EXPECT_FALSE(parsed) << c.text;
    } else {
      ASSERT_TRUE(parsed) << c.text;
      EXPECT_EQ(*parsed, c.expected) << c.text;
    }
  }
}

}  // namespace
}  // namespace keyd::adapters
