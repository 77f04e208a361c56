// Running an exec credential plugin: posix_spawn (no shell) in its own process group, stdin from
// /dev/null, stdout captured into a Secret, a deadline after which the whole group is killed.
#include "kube_internal.hpp"

#include "../errno_text.hpp"

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
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace keyd::adapters::kube {

namespace {

constexpr std::size_t k_max_output = std::size_t{1} << 20;
using SteadyClock = std::chrono::steady_clock;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The program to execute: argv0 itself when it names a path, else the first match in PATH.
std::optional<std::string> find_program(const std::string& argv0, const Environment& env) {
  if (argv0.find('/') != std::string::npos) return argv0;
  const auto path = env.find("PATH");
  const std::string_view dirs = path != env.end() ? std::string_view(path->second) : "/usr/local/bin:/usr/bin:/bin";
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

// Strings for posix_spawn that are wiped when done (the environment can hold plugin secrets).
class WipedStrings {
 public:
  WipedStrings() = default;
  WipedStrings(const WipedStrings&) = delete;
  WipedStrings& operator=(const WipedStrings&) = delete;
  ~WipedStrings() {
    for (auto& s : m_strings) secure_zero(s.data(), s.size());
  }
  void add(std::string text) { m_strings.push_back(std::move(text)); }
  [[nodiscard]] std::vector<char*> pointers() {
    std::vector<char*> out;
    out.reserve(m_strings.size() + 1);
    for (auto& s : m_strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  }

 private:
  std::vector<std::string> m_strings;
};

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset() noexcept {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }
  [[nodiscard]] int get() const noexcept { return m_fd; }

 private:
  int m_fd;
};

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

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);  // the plugin and whatever it started
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

int remaining_ms(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

}  // namespace

Result<PluginRun> run_plugin(const std::vector<std::string>& argv, const Environment& env,
                             std::chrono::milliseconds timeout) {
  PluginRun run;
  const std::string& name = argv.at(0);
  const auto program = find_program(name, env);
  if (!program) {
    run.not_found = true;
    run.exit_code = 127;
    return run;
  }
  WipedStrings args;
  for (const auto& arg : argv) args.add(arg);
  WipedStrings environment;
  for (const auto& [key, value] : env) environment.add(fmt::format("{}={}", key, value));
  auto argvp = args.pointers();
  auto envp = environment.pointers();

  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::io, fmt::format("exec credential plugin {}: pipe: {}", name, detail::errno_text(errno)));
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  SpawnResources spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, write_end.get(), 1);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  posix_spawnattr_setsigmask(&spawn.attr, &empty);
  posix_spawnattr_setpgroup(&spawn.attr, 0);  // its own group, so a timeout kills all of it
  posix_spawnattr_setflags(&spawn.attr, static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                                           POSIX_SPAWN_SETSIGMASK));

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program->c_str(), &spawn.actions, &spawn.attr, argvp.data(), envp.data());
  write_end.reset();
  if (rc == ENOENT) {
    run.not_found = true;
    run.exit_code = 127;
    return run;
  }
  if (rc != 0) {
    return fail(ErrorCode::unauthorized,
                fmt::format("exec credential plugin {}: cannot be started: {}", name, detail::errno_text(rc)));
  }

  const auto deadline = SteadyClock::now() + timeout;
  const auto timed_out = [&] {
    kill_group(pid);
    return fail(ErrorCode::timeout, fmt::format("exec credential plugin {}: no result within {} ms (killed)", name,
                                                timeout.count()));
  };
  std::array<char, 4096> chunk{};
  std::size_t used = 0;
  for (;;) {
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return timed_out();
    const ssize_t n = ::read(read_end.get(), chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of output (or a read error: judged by the exit status)
    const auto size = static_cast<std::size_t>(n);
    if (used + size > k_max_output) {
      kill_group(pid);
      secure_zero(chunk.data(), chunk.size());
      return fail(ErrorCode::unauthorized, fmt::format("exec credential plugin {}: output exceeds 1 MiB", name));
    }
    run.out.resize(used + size);
    std::memcpy(run.out.mutable_bytes().data() + used, chunk.data(), size);
    used += size;
  }
  secure_zero(chunk.data(), chunk.size());

  int status = 0;
  for (;;) {  // stdout is closed; wait for the exit, still within the deadline
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return fail(ErrorCode::internal, fmt::format("exec credential plugin {}: waitpid: {}", name,
                                                   detail::errno_text(errno)));
    }
    if (remaining_ms(deadline) == 0) return timed_out();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  return run;
}

}  // namespace keyd::adapters::kube
