// Wiring for `keyd agent`: the sink and the on-change action, the only agent code naming adapters
// (a helper of wiring.cpp, like kube_wiring.cpp).
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/change_action.hpp"
#include "keyd/ports/key_sink.hpp"

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace keyd::cli {

struct AgentActionSettings {
  std::string kind = "none";  // none | exit | command | signal
  std::vector<std::string> command;
  std::chrono::milliseconds command_timeout{30'000};
  std::string pid_file;
  std::string signal = "TERM";
};

// The names --on-change accepts, in the order --help shows them.
[[nodiscard]] std::vector<std::string> agent_action_kinds();

[[nodiscard]] std::unique_ptr<ports::KeySink> make_agent_sink(const std::string& path, std::optional<uid_t> uid,
                                                              std::optional<gid_t> gid);

// nullptr for "none". invalid_config (exit 2) when the settings do not fit the kind.
[[nodiscard]] Result<std::unique_ptr<ports::ChangeAction>> make_agent_action(const AgentActionSettings& settings);

}  // namespace keyd::cli
