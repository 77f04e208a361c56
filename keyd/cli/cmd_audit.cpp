// keyd audit verify, keyd version.
#include "commands.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include "keyd/app/audit_accounting.hpp"

#include <fmt/format.h>

namespace keyd::cli {

namespace {

// The hash chain and the head file; nullopt when intact (the entry count goes to `entries`).
std::optional<int> verify_chain(const std::string& file, std::size_t& entries) {
  auto report = verify_audit_chain(file);
  if (!report) return report_error(report.error().with_context("audit trail " + file));
  if (!report->problem.empty()) {
    return report_error(Error{ErrorCode::integrity, fmt::format("audit trail {}: {}", file, report->problem)});
  }
  entries = report->entries;
  return std::nullopt;
}

// Every kept version of every configured swarm against the log: an entry records it as written,
// and its audit anchor (if any) still matches the log. Returns the summary or an exit code.
Result<std::string> cross_check(const std::string& config_path) {
  KEYD_ASSIGN_OR_RETURN(config::Config loaded, load(config_path));
  if (loaded.swarms.empty()) return std::string("no swarms configured");
  KEYD_ASSIGN_OR_RETURN(auto runtime, Runtime::make(std::move(loaded), Actor{os_actor()}));
  const config::Config& cfg = runtime->config();
  ports::SecretStore& store = runtime->store();
  if (!store.capabilities().writes) {
    return fmt::format("{} is written by another keyd; its versions are not cross-checked here", store.describe());
  }
  std::vector<app::SwarmPath> swarms;
  for (const auto& s : cfg.swarms) swarms.push_back({s.name, s.path});
  KEYD_ASSIGN_OR_RETURN(const auto report, app::check_audit_accounting(store, runtime->audit(), swarms));
  if (!report.ok()) {
    std::string text;
    for (const auto& p : report.problems) text += "\n  " + p;
    return fail(ErrorCode::integrity, fmt::format("{} version(s) in {} are not accounted for by the audit trail {}:{}",
                                                  report.problems.size(), store.describe(), cfg.audit.file, text));
  }
  return fmt::format("{} stored version(s) of {} swarm(s) accounted for, {} anchored", report.versions, report.swarms,
                     report.anchored);
}

}  // namespace

void add_audit(CLI::App& app, Action& action) {
  struct Options {
    std::string config;
    std::string file;
    bool chain_only = false;
  };
  auto opts = std::make_shared<Options>();
  auto* audit = app.add_subcommand("audit", "Work with the audit trail");
  audit->require_subcommand(1);
  audit->footer("Example: keyd audit verify --config configs/local.yaml");
  auto* verify = audit->add_subcommand("verify",
                                       "Check the audit trail's hash chain end to end, and (with --config) "
                                       "that every stored version is accounted for");
  auto* config = verify
                     ->add_option("-c,--config", opts->config,
                                  "Configuration file naming the audit file; also cross-checks the store's kept "
                                  "versions against the entries and their audit anchors")
                     ->envname("KEYD_CONFIG");
  verify->add_option("--file", opts->file, "Audit file to check (the chain only)")->excludes(config);
  verify->add_flag("--chain-only", opts->chain_only, "With --config: check the chain only, not the store");
  verify->footer(
      "Exit status 1 names the first line that was changed, removed or reordered, or each stored version "
      "without an entry or whose anchored entry no longer matches.\n"
      "Examples:\n"
      "  keyd audit verify --config configs/local.yaml\n"
      "  keyd audit verify --file /var/lib/keyd/audit.jsonl");
  verify->callback([opts, &action] {
    action = [opts] {
      std::string file = opts->file;
      if (file.empty()) {
        auto cfg = load(opts->config);
        if (!cfg) return report_error(cfg.error());
        file = cfg->audit.file;
      }
      std::size_t entries = 0;
      if (auto rc = verify_chain(file, entries)) return *rc;
      std::string accounted;
      if (opts->file.empty() && !opts->chain_only) {
        auto checked = cross_check(opts->config);
        if (!checked) return report_error(checked.error());
        accounted = "; " + *checked;
      }
      write_stdout(fmt::format("audit trail {}: {} entries, hash chain intact{}\n", file, entries, accounted));
      return k_exit_ok;
    };
  });
}

void add_version(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print keyd's version");
  cmd->footer("Example: keyd version   (the same as keyd --version)");
  cmd->callback([&action] {
    action = [] {
      write_stdout("keyd " KEYD_VERSION "\n");
      return k_exit_ok;
    };
  });
}

}  // namespace keyd::cli
