#include "keyd/cli/run.hpp"

#include "commands.hpp"
#include "output.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

namespace keyd::cli {

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("keyd");
  logger->set_pattern("keyd: [%l] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "keyd: generate, store, rotate and deliver the swarm.key of a private IPFS (libp2p) network,\n"
      "with a tamper-evident audit trail. Key material is never printed unless you ask for it\n"
      "with --out -.",
      "keyd"};
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Start here:  keyd rotate --config configs/local.yaml\n"
      "Exit status: 0 ok, 1 runtime failure, 2 usage or configuration error.\n"
      "Run 'keyd <command> --help' for a command's options.");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log verbosity on stderr")
      ->envname("KEYD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  Action action;
  add_generate(app, action);
  add_inspect(app, action);
  add_rotate(app, action);
  add_sync(app, action);
  add_fetch(app, action);
  add_history(app, action);
  add_import(app, action);
  add_rollback(app, action);
  add_audit(app, action);
  add_scan(app, action);
  add_bundle(app, action);
  add_daemon(app, action);
  add_agent(app, action);
  add_store(app, action);
  add_version(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "keyd: error: %s\nRun 'keyd --help' or 'keyd <command> --help' for usage.\n", e.what());
    return k_exit_usage;
  }

  try {
    setup_logging(log_level);
    return action ? action() : k_exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keyd: error: internal error: %s\n", e.what());
    return k_exit_failure;
  }
}

}  // namespace keyd::cli
