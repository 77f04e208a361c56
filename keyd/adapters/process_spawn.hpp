// Starting child processes without a shell, shared by the exec credential plugin runner
// (kube/plugin_process.cpp) and the MCP server process (mcp/child_process.cpp): the program looked
// up in PATH, argv and environment strings that are wiped afterwards (they can hold credentials),
// and posix_spawn into a new process group with default signal dispositions, an empty signal mask
// and every descriptor above stderr closed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::detail {

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

}  // namespace keyd::adapters::detail
