// The agent's "exit" and "signal" on-change actions, and signal names.
#include "keyd/adapters/agent/agent_actions.hpp"
#include "../os/errno_text.hpp"
#include "keyd/adapters/os/fs.hpp"

#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace keyd::adapters {

namespace {

using detail::errno_text;

constexpr std::array<std::pair<std::string_view, int>, 8> k_signals{{{"HUP", SIGHUP},
                                                                     {"INT", SIGINT},
                                                                     {"QUIT", SIGQUIT},
                                                                     {"KILL", SIGKILL},
                                                                     {"USR1", SIGUSR1},
                                                                     {"USR2", SIGUSR2},
                                                                     {"TERM", SIGTERM},
                                                                     {"WINCH", SIGWINCH}}};

std::string signal_name(int signal) {
  for (const auto& [name, number] : k_signals) {
    if (number == signal) return std::string(name);
  }
  return std::to_string(signal);
}

class ExitAction final : public ports::ChangeAction {
 public:
  [[nodiscard]] std::string describe() const override { return "exit"; }
  [[nodiscard]] Result<ports::AfterChange> run(const ports::KeyChange&) override { return ports::AfterChange::exit; }
};

class SignalAction final : public ports::ChangeAction {
 public:
  SignalAction(std::filesystem::path pid_file, int signal) : m_pid_file(std::move(pid_file)), m_signal(signal) {}

  [[nodiscard]] std::string describe() const override {
    return fmt::format("signal {} to the pid in {}", signal_name(m_signal), m_pid_file.string());
  }

  [[nodiscard]] Result<ports::AfterChange> run(const ports::KeyChange&) override {
    auto text = read_text_file(m_pid_file);
    if (!text) return fail(text.error().with_context("on-change signal: pid file"));
    std::string_view s = *text;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
    if (ec != std::errc{} || end != s.data() + s.size() || pid <= 1) {
      return fail(ErrorCode::invalid_input,
                  fmt::format("pid file {} does not hold a process id (greater than 1)", m_pid_file.string()));
    }
    if (::kill(pid, m_signal) != 0) {
      const int err = errno;
      const ErrorCode code = err == ESRCH   ? ErrorCode::not_found
                             : err == EPERM ? ErrorCode::unauthorized
                                            : ErrorCode::io;
      return fail(code, fmt::format("signal {} to pid {} (from {}): {}", signal_name(m_signal), pid,
                                    m_pid_file.string(), errno_text(err)));
    }
    return ports::AfterChange::keep_running;
  }

 private:
  std::filesystem::path m_pid_file;
  int m_signal;
};

}  // namespace

std::unique_ptr<ports::ChangeAction> make_exit_action() { return std::make_unique<ExitAction>(); }

std::unique_ptr<ports::ChangeAction> make_signal_action(std::filesystem::path pid_file, int signal) {
  return std::make_unique<SignalAction>(std::move(pid_file), signal);
}

Result<int> parse_signal(std::string_view name) {
  std::string upper(name);
  std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string_view n = upper;
  if (n.starts_with("SIG")) n.remove_prefix(3);
  for (const auto& [known, number] : k_signals) {
    if (n == known) return number;
  }
  int number = 0;
  const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), number);
  if (ec == std::errc{} && end == n.data() + n.size() && number > 0 && number < NSIG) return number;
  return fail(ErrorCode::invalid_input,
              fmt::format("unknown signal '{}' (use HUP, INT, QUIT, KILL, USR1, USR2, TERM, WINCH or a number)", name));
}

}  // namespace keyd::adapters
