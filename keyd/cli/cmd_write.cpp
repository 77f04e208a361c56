// keyd rotate, sync, import, rollback: put a version in place and deliver it to the targets.
#include "commands.hpp"
#include "key_file.hpp"
#include "output.hpp"
#include "swarm_session.hpp"

namespace keyd::cli {

namespace {

struct WriteOptions {
  SwarmOptions swarm;
  std::string output;
};

// Register a subcommand whose action wires the swarm and runs `use_case` on it.
template <typename UseCase>
CLI::App* add_write_command(CLI::App& app, Action& action, const char* name, const char* description, const char* verb,
                            std::shared_ptr<WriteOptions> opts, UseCase use_case) {
  auto* cmd = app.add_subcommand(name, description);
  add_swarm_options(*cmd, opts->swarm);
  add_output_option(*cmd, opts->output);
  cmd->callback([opts, &action, verb, use_case] {
    action = [opts, verb, use_case] {
      auto session = open_swarm(opts->swarm);
      if (!session) return report_error(session.error());
      auto report = use_case(session->context(), session->swarm);
      if (!report) return report_error(report.error());
      return print_report(verb, *report, opts->output);
    };
  });
  return cmd;
}

}  // namespace

void add_rotate(CLI::App& app, Action& action) {
  auto opts = std::make_shared<WriteOptions>();
  auto* cmd = add_write_command(app, action, "rotate", "Generate a new key version, store it and deliver it", "rotated",
                                opts, [](app::Context& ctx, app::Swarm& swarm) { return app::rotate(ctx, swarm); });
  cmd->footer(
      "The new version is written with check-and-set: if someone else rotated meanwhile, nothing is\n"
      "written and the error names the version that won. Targets that already hold the key are left\n"
      "alone. Exit status 1 if any target failed (the version stays stored; 'keyd sync' retries).\n"
      "Example: keyd rotate --config configs/local.yaml --output json");
}

void add_sync(CLI::App& app, Action& action) {
  auto* cmd = add_write_command(app, action, "sync", "Deliver the current stored version to every target", "synced",
                                std::make_shared<WriteOptions>(),
                                [](app::Context& ctx, app::Swarm& swarm) { return app::sync(ctx, swarm); });
  cmd->footer(
      "Targets that already hold the current key are left alone; the others get it (and their restarts).\n"
      "Use it after a target failed during a rotation or was changed by hand. Exit status 1 if any failed.\n"
      "Example: keyd sync --config configs/local.yaml");
}

void add_import(CLI::App& app, Action& action) {
  auto opts = std::make_shared<WriteOptions>();
  auto path = std::make_shared<std::string>();
  auto* cmd = add_write_command(app, action, "import", "Adopt an existing swarm.key as a new version", "imported", opts,
                                [path](app::Context& ctx, app::Swarm& swarm) -> Result<app::KeyReport> {
                                  KEYD_ASSIGN_OR_RETURN(auto key_file, read_key_input(*path));
                                  return app::import_key(ctx, swarm, key_file);
                                });
  cmd->add_option("path", *path, "Key file to import, or - for stdin")->required();
  cmd->footer(
      "The key is validated as go-libp2p would read it, weak keys are refused, and it is stored in\n"
      "canonical form with reason \"import\".\n"
      "Example: keyd import --config configs/local.yaml old/swarm.key");
}

void add_rollback(CLI::App& app, Action& action) {
  auto opts = std::make_shared<WriteOptions>();
  auto to = std::make_shared<int>(0);
  auto* cmd =
      add_write_command(app, action, "rollback", "Re-promote an earlier version as a new version", "rolled back", opts,
                        [to](app::Context& ctx, app::Swarm& swarm) { return app::rollback(ctx, swarm, *to); });
  cmd->add_option("--to-version", *to, "Version to re-promote")->required()->check(CLI::PositiveNumber);
  cmd->footer(
      "History is never rewritten: version N's key becomes version current+1 with reason \"rollback\".\n"
      "Example: keyd rollback --config configs/local.yaml --to-version 3");
}

}  // namespace keyd::cli
