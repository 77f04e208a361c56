// The agent's on-change actions (ports::ChangeAction): exit, run a command, signal a process.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/change_action.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters {

// Asks the agent to exit (the CLI exits with status 3), so a supervisor restarts what depends on it.
[[nodiscard]] std::unique_ptr<ports::ChangeAction> make_exit_action();

// Runs argv (argv[0] looked up in PATH; no shell) with stdin from /dev/null and stdout/stderr on
// keyd's stderr, in a process group of its own, within `timeout` (then SIGTERM, 2 s later SIGKILL
// to the group). The command never gets the key: its environment is keyd's minus VAULT_TOKEN,
// plus KEYD_SWARM, KEYD_VERSION, KEYD_FINGERPRINT, KEYD_PREVIOUS_FINGERPRINT and KEYD_SINK.
// A non-zero exit, a signal or the timeout is an error naming the command and what happened.
[[nodiscard]] std::unique_ptr<ports::ChangeAction> make_command_action(std::vector<std::string> argv,
                                                                       std::chrono::milliseconds timeout);

// Sends `signal` to the process whose pid is the only content of `pid_file` (read at each change,
// so a restarted process is found). Errors name the pid file and the pid.
[[nodiscard]] std::unique_ptr<ports::ChangeAction> make_signal_action(std::filesystem::path pid_file, int signal);

// "TERM", "SIGTERM", "hup", "15" → the signal number; invalid_input for anything else.
[[nodiscard]] Result<int> parse_signal(std::string_view name);

}  // namespace keyd::adapters
