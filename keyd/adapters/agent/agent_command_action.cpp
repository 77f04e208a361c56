// The agent's "command" on-change action: posix_spawnp without a shell, bounded in time.
#include "../os/errno_text.hpp"
#include "keyd/adapters/agent/agent_actions.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

extern char** environ;  // NOLINT: POSIX

namespace keyd::adapters {

namespace {

using detail::errno_text;
using SteadyClock = std::chrono::steady_clock;

constexpr auto k_kill_grace = std::chrono::seconds{2};
constexpr auto k_poll_every = std::chrono::milliseconds{5};

// Reap pid, waiting until `deadline`. The wait status, or nullopt when it is still running.
std::optional<int> wait_until(pid_t pid, SteadyClock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;  // not our child any more: nothing left to wait for
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(k_poll_every);
  }
}

class SpawnAttributes {
 public:
  SpawnAttributes() {
    ::posix_spawnattr_init(&m_attr);
    ::posix_spawn_file_actions_init(&m_actions);
  }
  ~SpawnAttributes() {
    ::posix_spawnattr_destroy(&m_attr);
    ::posix_spawn_file_actions_destroy(&m_actions);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  // Own process group (so a timeout kills everything it started), default signal handling, empty
  // mask, stdin from /dev/null, stdout onto stderr, no other inherited descriptor.
  [[nodiscard]] bool prepare() {
    sigset_t all;
    sigset_t none;
    sigfillset(&all);
    sigemptyset(&none);
    return ::posix_spawnattr_setflags(&m_attr,
                                      POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) == 0 &&
           ::posix_spawnattr_setpgroup(&m_attr, 0) == 0 && ::posix_spawnattr_setsigdefault(&m_attr, &all) == 0 &&
           ::posix_spawnattr_setsigmask(&m_attr, &none) == 0 &&
           ::posix_spawn_file_actions_addopen(&m_actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
           ::posix_spawn_file_actions_adddup2(&m_actions, STDERR_FILENO, STDOUT_FILENO) == 0 &&
           ::posix_spawn_file_actions_addclosefrom_np(&m_actions, STDERR_FILENO + 1) == 0;
  }
  [[nodiscard]] const posix_spawnattr_t* attr() const { return &m_attr; }
  [[nodiscard]] const posix_spawn_file_actions_t* actions() const { return &m_actions; }

 private:
  posix_spawnattr_t m_attr{};
  posix_spawn_file_actions_t m_actions{};
};

class CommandAction final : public ports::ChangeAction {
 public:
  CommandAction(std::vector<std::string> argv, std::chrono::milliseconds timeout)
      : m_argv(std::move(argv)), m_timeout(timeout) {}

  [[nodiscard]] std::string describe() const override { return fmt::format("command {}", fmt::join(m_argv, " ")); }

  [[nodiscard]] Result<ports::AfterChange> run(const ports::KeyChange& change) override {
    if (m_argv.empty()) return fail(ErrorCode::invalid_config, "on-change command: no command given");
    std::vector<std::string> env = environment(change);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = m_argv;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    SpawnAttributes spawn;
    if (!spawn.prepare()) return fail(ErrorCode::internal, fmt::format("{}: preparing posix_spawn failed", describe()));
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argv[0], spawn.actions(), spawn.attr(), argv.data(), envp.data());
    if (rc != 0)
      return fail(ErrorCode::io, fmt::format("{}: cannot start {}: {}", describe(), m_argv[0], errno_text(rc)));
    spdlog::debug("{}: started (pid {})", describe(), pid);

    auto status = wait_until(pid, SteadyClock::now() + m_timeout);
    if (!status) {
      ::kill(-pid, SIGTERM);
      status = wait_until(pid, SteadyClock::now() + k_kill_grace);
      if (!status) {
        ::kill(-pid, SIGKILL);
        (void)wait_until(pid, SteadyClock::now() + k_kill_grace);
      }
      return fail(ErrorCode::timeout, fmt::format("{}: did not finish within {} ms; its process group was killed",
                                                  describe(), m_timeout.count()));
    }
    if (*status >= 0 && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return ports::AfterChange::keep_running;
    if (*status >= 0 && WIFSIGNALED(*status)) {
      return fail(ErrorCode::unavailable, fmt::format("{}: killed by signal {}", describe(), WTERMSIG(*status)));
    }
    return fail(ErrorCode::unavailable,
                fmt::format("{}: exited with status {}", describe(), *status >= 0 ? WEXITSTATUS(*status) : -1));
  }

 private:
  // keyd's environment minus the Vault token, plus what changed (never the key).
  static std::vector<std::string> environment(const ports::KeyChange& change) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view entry(*e);
      if (entry.starts_with("VAULT_TOKEN=") || entry.starts_with("KEYD_SWARM=") || entry.starts_with("KEYD_VERSION=") ||
          entry.starts_with("KEYD_FINGERPRINT=") || entry.starts_with("KEYD_PREVIOUS_FINGERPRINT=") ||
          entry.starts_with("KEYD_SINK=")) {
        continue;
      }
      env.emplace_back(entry);
    }
    env.push_back(fmt::format("KEYD_SWARM={}", change.swarm));
    env.push_back(fmt::format("KEYD_VERSION={}", change.version));
    env.push_back(fmt::format("KEYD_FINGERPRINT={}", change.fingerprint));
    env.push_back(fmt::format("KEYD_PREVIOUS_FINGERPRINT={}", change.previous_fingerprint));
    env.push_back(fmt::format("KEYD_SINK={}", change.sink));
    return env;
  }

  std::vector<std::string> m_argv;
  std::chrono::milliseconds m_timeout;
};

}  // namespace

std::unique_ptr<ports::ChangeAction> make_command_action(std::vector<std::string> argv,
                                                         std::chrono::milliseconds timeout) {
  return std::make_unique<CommandAction>(std::move(argv), timeout);
}

}  // namespace keyd::adapters
