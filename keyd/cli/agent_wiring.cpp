#include "agent_wiring.hpp"

#include "keyd/adapters/agent/agent_actions.hpp"
#include "keyd/adapters/agent/agent_sink.hpp"

#include <fmt/format.h>

#include <map>

namespace keyd::cli {

namespace {

using ActionFactory = Result<std::unique_ptr<ports::ChangeAction>> (*)(const AgentActionSettings&);

Result<std::unique_ptr<ports::ChangeAction>> make_none(const AgentActionSettings&) {
  return std::unique_ptr<ports::ChangeAction>{};
}

Result<std::unique_ptr<ports::ChangeAction>> make_exit(const AgentActionSettings&) {
  return adapters::make_exit_action();
}

Result<std::unique_ptr<ports::ChangeAction>> make_command(const AgentActionSettings& s) {
  if (s.command.empty()) {
    return fail(ErrorCode::invalid_config,
                "--on-change command needs the command after --, e.g. --on-change command -- ipfs shutdown");
  }
  return adapters::make_command_action(s.command, s.command_timeout);
}

Result<std::unique_ptr<ports::ChangeAction>> make_signal(const AgentActionSettings& s) {
  if (s.pid_file.empty()) return fail(ErrorCode::invalid_config, "--on-change signal needs --pid-file PATH");
  auto signal = adapters::parse_signal(s.signal);
  if (!signal) return fail(ErrorCode::invalid_config, fmt::format("--signal: {}", signal.error().message));
  return adapters::make_signal_action(s.pid_file, *signal);
}

// One explicit table: --on-change name → factory.
const std::map<std::string, ActionFactory, std::less<>> k_action_factories{
    {"none", &make_none}, {"exit", &make_exit}, {"command", &make_command}, {"signal", &make_signal}};

}  // namespace

std::vector<std::string> agent_action_kinds() { return {"none", "exit", "command", "signal"}; }

std::unique_ptr<ports::KeySink> make_agent_sink(const std::string& path, std::optional<uid_t> uid,
                                                std::optional<gid_t> gid) {
  return adapters::make_file_sink({path, uid, gid, 0600});
}

Result<std::unique_ptr<ports::ChangeAction>> make_agent_action(const AgentActionSettings& settings) {
  const auto factory = k_action_factories.find(settings.kind);
  if (factory == k_action_factories.end()) {
    return fail(ErrorCode::invalid_config, fmt::format("--on-change: unknown action '{}'", settings.kind));
  }
  if (settings.kind != "command" && !settings.command.empty()) {
    return fail(ErrorCode::invalid_config, "a command after -- is only used with --on-change command");
  }
  return factory->second(settings);
}

}  // namespace keyd::cli
