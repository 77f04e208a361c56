// keyd audit verify, keyd version.
#include "common.hpp"
#include "keyd/adapters/audit_file.hpp"

#include <fmt/format.h>

namespace keyd::cli {

void add_audit(CLI::App& app, Action& action) {
  struct Options {
    std::string config;
    std::string file;
  };
  auto opts = std::make_shared<Options>();
  auto* audit = app.add_subcommand("audit", "Work with the audit trail");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "Check the audit trail's hash chain end to end");
  auto* config = verify->add_option("-c,--config", opts->config, "Configuration file naming the audit file")
                     ->envname("KEYD_CONFIG");
  verify->add_option("--file", opts->file, "Audit file to check")->excludes(config);
  verify->footer("Exit status 1 names the first line that was changed, removed or reordered.");
  verify->callback([opts, &action] {
    action = [opts] {
      std::string file = opts->file;
      if (file.empty()) {
        auto cfg = load(opts->config);
        if (!cfg) return report_error(cfg.error());
        file = cfg->audit.file;
      }
      auto report = adapters::verify_audit_file(file);
      if (!report) return report_error(report.error().with_context("audit trail " + file));
      if (!report->ok) {
        return report_error(Error{ErrorCode::integrity, fmt::format("audit trail {}: {}", file, report->problem)});
      }
      write_stdout(fmt::format("audit trail {}: {} entries, hash chain intact\n", file, report->entries));
      return k_exit_ok;
    };
  });
}

void add_version(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print keyd's version");
  cmd->callback([&action] {
    action = [] {
      write_stdout("keyd " KEYD_VERSION "\n");
      return k_exit_ok;
    };
  });
}

}  // namespace keyd::cli
