// The child-process helpers shared by git, exec credential plugins and the MCP server
// (keyd/adapters/os/process_spawn.hpp): close-on-exec pipes, the poll() budget left before a deadline,
// waiting for an exit against a deadline, and killing a child's whole process group.
#include "os/process_spawn.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace keyd::adapters::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// /bin/sh -c `script` in a new process group, stdout into `out` (or /dev/null).
pid_t spawn_sh(const std::string& script, int out = -1) {
  WipedStrings args;
  args.add("sh");
  args.add("-c");
  args.add(script);
  WipedStrings env;
  env.add("PATH=/usr/bin:/bin");
  auto argv = args.pointers();
  auto envp = env.pointers();
  pid_t pid = -1;
  const int rc = spawn_in_new_group(pid, "/bin/sh", argv.data(), envp.data(), {{0, -1}, {1, out}});
  if (rc != 0) throw std::runtime_error("spawn /bin/sh failed");
  return pid;
}

bool close_on_exec(const UniqueFd& fd) { return (::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0; }

TEST(ProcessSpawn, PipeEndsAreCloseOnExecAndConnected) {
  auto pipe = make_pipe("test pipe");
  ASSERT_TRUE(pipe) << pipe.error().message;
  EXPECT_TRUE(close_on_exec(pipe->read));
  EXPECT_TRUE(close_on_exec(pipe->write));
  EXPECT_EQ(::fcntl(pipe->read.get(), F_GETFL) & O_NONBLOCK, 0);  // blocking, as a child expects
  ASSERT_EQ(::write(pipe->write.get(), "abc", 3), 3);
  pipe->write.reset();
  std::array<char, 8> buffer{};
  EXPECT_EQ(::read(pipe->read.get(), buffer.data(), buffer.size()), 3);
  EXPECT_EQ(std::string(buffer.data(), 3), "abc");
  EXPECT_EQ(::read(pipe->read.get(), buffer.data(), buffer.size()), 0);  // end of file: no other writer
}

TEST(ProcessSpawn, ThePipeErrorNamesWhatItWasFor) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the sanitizers check memory through a pipe of their own, which needs free descriptors";
#endif
  // With the descriptor limit at 3 (stdin, stdout, stderr), pipe2 has no descriptor to return: EMFILE.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 3;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto pipe = make_pipe("MCP server stdin");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_FALSE(pipe);
  EXPECT_EQ(pipe.error().code, ErrorCode::io);
  EXPECT_EQ(pipe.error().message, "MCP server stdin: pipe: " + std::string(std::strerror(EMFILE)));
}

TEST(ProcessSpawn, RemainingMillisecondsAreClampedForPoll) {
  const auto now = Clock::now();
  EXPECT_EQ(remaining_ms(now - 1s), 0);
  EXPECT_EQ(remaining_ms(now + std::chrono::hours(24 * 365)), 1'000'000);
  const int left = remaining_ms(now + 5s);
  EXPECT_GT(left, 4'000);
  EXPECT_LE(left, 5'000);
}

TEST(ProcessSpawn, WaitForExitReturnsTheWaitStatus) {
  const pid_t pid = spawn_sh("exit 3");
  auto status = wait_for_exit(pid, Clock::now() + 5s, "sh", 5s);
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // reaped
  EXPECT_EQ(errno, ECHILD);
}

TEST(ProcessSpawn, WaitForExitKillsTheGroupAtTheDeadline) {
  auto pipe = make_pipe("grandchild pid");
  ASSERT_TRUE(pipe) << pipe.error().message;
  // The child starts a grandchild in its group, reports its pid, and both outlive the deadline.
  const pid_t pid = spawn_sh("sleep 30 & echo $!; wait", pipe->write.get());
  pipe->write.reset();
  std::string text;
  std::array<char, 32> buffer{};
  while (text.find('\n') == std::string::npos) {
    const ssize_t n = ::read(pipe->read.get(), buffer.data(), buffer.size());
    ASSERT_GT(n, 0);
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  const pid_t grandchild = std::stoi(text);

  const auto started = Clock::now();
  auto status = wait_for_exit(pid, started + 100ms, "sleepy plugin", 100ms);
  ASSERT_FALSE(status);
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_EQ(status.error().code, ErrorCode::timeout);
  EXPECT_EQ(status.error().message, "sleepy plugin: no result within 100 ms (killed)");
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // killed and reaped
  EXPECT_EQ(errno, ECHILD);
  // The grandchild got SIGKILL too: the pipe it inherited closes once it is dead (zombie or reaped).
  pollfd p{pipe->read.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5'000), 1) << "grandchild " << grandchild << " still holds the pipe";
  EXPECT_EQ(::read(pipe->read.get(), buffer.data(), buffer.size()), 0);
}

TEST(ProcessSpawn, KillAtDeadlineNamesWhatAndTheTimeout) {
  const pid_t pid = spawn_sh("sleep 30");
  const Error error = kill_at_deadline(pid, "git log in /repo", 250ms);
  EXPECT_EQ(error.code, ErrorCode::timeout);
  EXPECT_EQ(error.message, "git log in /repo: no result within 250 ms (killed)");
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace keyd::adapters::detail
