// posix_spawn without a shell, in a new process group; see process_spawn.hpp.
#include "process_spawn.hpp"

#include "errno_text.hpp"
#include "keyd/common/secret.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <fmt/format.h>

namespace keyd::adapters::detail {

namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

struct SpawnResources {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnResources() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnResources() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnResources(const SpawnResources&) = delete;
  SpawnResources& operator=(const SpawnResources&) = delete;
};

}  // namespace

void UniqueFd::reset() noexcept {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

WipedStrings::~WipedStrings() {
  for (auto& s : m_strings) secure_zero(s.data(), s.size());
}

std::vector<char*> WipedStrings::pointers() {
  std::vector<char*> out;
  out.reserve(m_strings.size() + 1);
  for (auto& s : m_strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::optional<std::string> find_program(const std::string& argv0, std::optional<std::string_view> path_variable) {
  if (argv0.find('/') != std::string::npos) return argv0;
  const std::string_view dirs = path_variable.value_or("/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const std::string_view dir = dirs.substr(start, end - start);
    std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, argv0);
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Result<Pipe> make_pipe(std::string_view what) {
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::io, fmt::format("{}: pipe: {}", what, errno_text(errno)));
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

int spawn_in_new_group(pid_t& pid, const std::string& program, char* const argv[], char* const envp[],
                       const std::vector<ChildFd>& fds) {
  SpawnResources spawn;
  for (const ChildFd& fd : fds) {
    if (fd.parent_fd < 0) {
      posix_spawn_file_actions_addopen(&spawn.actions, fd.child_fd, "/dev/null", O_RDWR, 0);
    } else {
      posix_spawn_file_actions_adddup2(&spawn.actions, fd.parent_fd, fd.child_fd);
    }
  }
  // Whatever keyd holds open without O_CLOEXEC (sockets, lock files) stays out of the child.
  posix_spawn_file_actions_addclosefrom_np(&spawn.actions, 3);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  posix_spawnattr_setsigmask(&spawn.attr, &empty);
  posix_spawnattr_setpgroup(&spawn.attr, 0);  // its own group, so stopping it stops all it started
  posix_spawnattr_setflags(&spawn.attr,
                           static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
  return ::posix_spawn(&pid, program.c_str(), &spawn.actions, &spawn.attr, argv, envp);
}

int remaining_ms(SteadyTime deadline) noexcept {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

void kill_group(pid_t pid) noexcept {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Error kill_at_deadline(pid_t pid, std::string_view what, std::chrono::milliseconds timeout) {
  kill_group(pid);
  return Error{ErrorCode::timeout, fmt::format("{}: no result within {} ms (killed)", what, timeout.count())};
}

Result<int> wait_for_exit(pid_t pid, SteadyTime deadline, std::string_view what, std::chrono::milliseconds timeout) {
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) {
      return fail(ErrorCode::internal, fmt::format("{}: waitpid: {}", what, errno_text(errno)));
    }
    if (remaining_ms(deadline) == 0) return fail(kill_at_deadline(pid, what, timeout));
    ::poll(nullptr, 0, 5);
  }
}

}  // namespace keyd::adapters::detail
