// Subcommand registration: each adds itself to the app and sets `action` when chosen (run.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace keyd::cli {

// The action a parsed subcommand runs; it returns the exit code.
using Action = std::function<int()>;

void add_generate(CLI::App& app, Action& action);
void add_inspect(CLI::App& app, Action& action);
void add_rotate(CLI::App& app, Action& action);
void add_sync(CLI::App& app, Action& action);
void add_import(CLI::App& app, Action& action);
void add_rollback(CLI::App& app, Action& action);
void add_fetch(CLI::App& app, Action& action);
void add_history(CLI::App& app, Action& action);
void add_audit(CLI::App& app, Action& action);
void add_version(CLI::App& app, Action& action);
void add_scan(CLI::App& app, Action& action);
void add_bundle(CLI::App& app, Action& action);
void add_daemon(CLI::App& app, Action& action);
void add_agent(CLI::App& app, Action& action);
void add_store(CLI::App& app, Action& action);
void add_config(CLI::App& app, Action& action);

}  // namespace keyd::cli
