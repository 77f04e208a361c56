#include "options.hpp"
#include "runtime.hpp"

namespace keyd::cli {

void add_swarm_options(CLI::App& cmd, SwarmOptions& options) {
  cmd.add_option("-c,--config", options.config, "Configuration file (YAML)")->envname("KEYD_CONFIG");
  cmd.add_option("-s,--swarm", options.swarm, "Swarm name from the config; may be omitted when only one is configured");
}

void add_output_option(CLI::App& cmd, std::string& output) {
  cmd.add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_val("text")
      ->each([](const std::string& value) {
        if (value == "json") audit_lines_to_stderr();  // the JSON on stdout stays one document per line
      });
}

}  // namespace keyd::cli
