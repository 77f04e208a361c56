// A real `kill -9` of `keyd rotate` while it delivers the key to a file target: the killed process
// leaves its complete temp file beside the target; the next run removes it, so that afterwards no
// file but the target holds a key. The kill lands in the window the test hook
// KEYD_TEST_FS_PAUSE_BEFORE_RENAME_MS holds open (temp file complete, not yet renamed).
#include "cli_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <thread>

extern char** environ;

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_key_header = "/key/swarm/psk/1.0.0/";

// Starts `keyd rotate --config keyd.yaml` in `dir` with the pause hook set; returns its pid.
pid_t start_paused_rotate(const std::filesystem::path& dir) {
  std::vector<std::string> env_strings{"KEYD_TEST_FS_PAUSE_BEFORE_RENAME_MS=30000"};
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{KEYD_BINARY, "rotate", "--config", "keyd.yaml"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, KEYD_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// The first file in `dir` named like a temp file of swarm.key written by `pid`, waiting up to 10 s.
std::optional<std::filesystem::path> wait_for_temp(const std::filesystem::path& dir, pid_t pid) {
  const std::string prefix = "swarm.key.tmp-" + std::to_string(pid) + "-";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      if (it->path().filename().string().starts_with(prefix)) return it->path();
    }
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

TEST_F(KeydCli, AKillDuringDeliveryLeavesNoKeyBesideTheTargetAfterTheNextRun) {
  ok({"rotate"});
  const auto ipfs = dir / ".keyd/ipfs";
  const pid_t pid = start_paused_rotate(dir.path());
  ASSERT_GT(pid, 0);
  const auto temp = wait_for_temp(ipfs, pid);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(temp) << "keyd never reached the rename of its delivery";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_TRUE(std::filesystem::exists(*temp));
  EXPECT_TRUE(read_file(*temp).starts_with(k_key_header)) << "the killed write left a complete key file";

  ok({"rotate"});
  for (const auto& e : std::filesystem::directory_iterator(ipfs)) {
    EXPECT_EQ(e.path().filename(), "swarm.key") << "left beside the target: " << e.path();
  }
  EXPECT_TRUE(read_file(ipfs / "swarm.key").starts_with(k_key_header));
}

}  // namespace
}  // namespace keyd::testing
