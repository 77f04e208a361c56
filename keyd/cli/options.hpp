// Option groups several subcommands share (--config/--swarm, --output).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace keyd::cli {

// --config/--swarm shared by the commands that work on a configured swarm.
struct SwarmOptions {
  std::string config;  // falls back to $KEYD_CONFIG
  std::string swarm;
};
void add_swarm_options(CLI::App& cmd, SwarmOptions& options);

// --output text|json
void add_output_option(CLI::App& cmd, std::string& output);

}  // namespace keyd::cli
