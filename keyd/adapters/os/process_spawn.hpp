// Starting child processes without a shell, shared by git for the scanner (scan_git_process.cpp), the
// exec credential plugin runner (kube/plugin_process.cpp) and the MCP server process
// (mcp/child_process.cpp): the program looked up in PATH, argv and environment strings that are wiped
// afterwards (they can hold credentials), close-on-exec pipes for its standard streams, posix_spawn
// into a new process group with default signal dispositions, an empty signal mask and every
// descriptor above stderr closed, and waiting for it against a deadline.
#pragma once

#include "keyd/common/result.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::detail {

// Runs `fn` when the scope ends, however it ends (used to wipe read buffers on early returns).
template <class Fn>
class ScopeExit {
 public:
  explicit ScopeExit(Fn fn) : m_fn(std::move(fn)) {}
  ~ScopeExit() { m_fn(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  Fn m_fn;
};
template <class Fn>
[[nodiscard]] ScopeExit<Fn> on_scope_exit(Fn fn) {
  return ScopeExit<Fn>(std::move(fn));
}

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  void reset() noexcept;
  [[nodiscard]] int get() const noexcept { return m_fd; }
  [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }

 private:
  int m_fd;
};

// Strings for posix_spawn's argv and envp, zeroed on destruction.
class WipedStrings {
 public:
  WipedStrings() = default;
  WipedStrings(const WipedStrings&) = delete;
  WipedStrings& operator=(const WipedStrings&) = delete;
  ~WipedStrings();
  void add(std::string text) { m_strings.push_back(std::move(text)); }
  // NULL-terminated pointers into the strings (valid while this object lives and is not added to).
  [[nodiscard]] std::vector<char*> pointers();

 private:
  std::vector<std::string> m_strings;
};

// The program to execute: argv0 itself when it contains a '/', else the first executable regular
// file named argv0 in `path_variable` (the child's PATH; unset: /usr/local/bin:/usr/bin:/bin).
[[nodiscard]] std::optional<std::string> find_program(const std::string& argv0,
                                                      std::optional<std::string_view> path_variable);

// The two ends of a pipe, both close-on-exec: the child gets its end through ChildFd (dup2).
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// pipe2 with O_CLOEXEC. An io error "<what>: pipe: <reason>" when it fails.
[[nodiscard]] Result<Pipe> make_pipe(std::string_view what);

// Child descriptor layout: child_fd ← parent_fd (dup2), or /dev/null when parent_fd is -1.
struct ChildFd {
  int child_fd;
  int parent_fd;
};

// posix_spawn(program) in a new process group (its pgid is its pid), with SIGPIPE, SIGINT, SIGTERM,
// SIGHUP, SIGQUIT and SIGCHLD at their defaults, an empty mask, `fds` set up, and every other
// descriptor from 3 on closed. Returns 0 and sets pid, or the errno value posix_spawn reported.
[[nodiscard]] int spawn_in_new_group(pid_t& pid, const std::string& program, char* const argv[], char* const envp[],
                                     const std::vector<ChildFd>& fds);

using SteadyTime = std::chrono::steady_clock::time_point;

// Milliseconds left until `deadline`, as a poll() timeout: 0 once it has passed, at most 1,000,000.
[[nodiscard]] int remaining_ms(SteadyTime deadline) noexcept;

// SIGKILL to the process group `pid` leads (whatever the child started) and to pid itself, then
// reaps pid.
void kill_group(pid_t pid) noexcept;

// kill_group(pid), then the timeout error "<what>: no result within <timeout> ms (killed)".
[[nodiscard]] Error kill_at_deadline(pid_t pid, std::string_view what, std::chrono::milliseconds timeout);

// Waits for pid to exit (its output already read) and returns its wait status. At `deadline`,
// kill_at_deadline; when waitpid fails, an internal error "<what>: waitpid: <reason>".
[[nodiscard]] Result<int> wait_for_exit(pid_t pid, SteadyTime deadline, std::string_view what,
                                        std::chrono::milliseconds timeout);

}  // namespace keyd::adapters::detail
