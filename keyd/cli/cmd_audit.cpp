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

std::string accounting_summary(const app::AccountingReport& report) {
  return fmt::format("{} stored version(s) of {} swarm(s) accounted for, {} anchored", report.versions, report.swarms,
                     report.anchored);
}

Error accounting_problems(const app::AccountingReport& report, const ports::SecretStore& store,
                          std::string_view trail) {
  std::string text;
  for (const auto& p : report.problems) text += "\n  " + p;
  return Error{ErrorCode::integrity, fmt::format("{} version(s) in {} are not accounted for by the audit trail {}:{}",
                                                 report.problems.size(), store.describe(), trail, text)};
}

std::vector<app::SwarmPath> swarm_paths(const config::Config& cfg) {
  std::vector<app::SwarmPath> swarms;
  for (const auto& s : cfg.swarms) swarms.push_back({s.name, s.path});
  return swarms;
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
  KEYD_ASSIGN_OR_RETURN(const auto report, app::check_audit_accounting(store, runtime->audit(), swarm_paths(cfg)));
  if (!report.ok()) return fail(accounting_problems(report, store, cfg.audit.file));
  return accounting_summary(report);
}

// audit.sink stdout: the lines collected from the log pipeline, against the head in the store and
// (unless chain_only) the store's versions.
int verify_collected(config::Config cfg, const std::string& file, bool chain_only) {
  auto runtime = Runtime::make(std::move(cfg), Actor{os_actor()});
  if (!runtime) return report_error(runtime.error());
  const config::Config& c = (*runtime)->config();
  ports::SecretStore& store = (*runtime)->store();
  auto checked = verify_collected_audit(file, store, c.audit.head_path);
  if (!checked) return report_error(checked.error());
  const AuditChainCheck& chain = checked->chain;
  if (!chain.problem.empty()) {
    return report_error(Error{ErrorCode::integrity, fmt::format("audit trail {}: {}", file, chain.problem)});
  }
  std::string accounted;
  if (!chain_only && !c.swarms.empty()) {
    auto report = app::check_audit_accounting(store, checked->records, swarm_paths(c));
    if (!report) return report_error(report.error());
    if (!report->ok()) return report_error(accounting_problems(*report, store, file));
    accounted = "; " + accounting_summary(*report);
  }
  write_stdout(fmt::format("audit trail {}: {} entries from seq 1 to the head in {} ({}), hash chain intact{}\n", file,
                           chain.entries, store.describe(), c.audit.head_path, accounted));
  return k_exit_ok;
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
                                  "Configuration file naming the audit trail; also cross-checks the store's kept "
                                  "versions against the entries and their audit anchors")
                     ->envname("KEYD_CONFIG");
  verify->add_option("--file", opts->file,
                     "Alone: an audit file to check (the chain only). With --config whose audit.sink is stdout: "
                     "the lines collected from the log pipeline (any order; other log lines are skipped)");
  verify->add_flag("--chain-only", opts->chain_only, "With --config: check the chain only, not the store")
      ->needs(config);
  verify->footer(
      "Exit status 1 names the first line that was changed, removed or reordered, or each stored version "
      "without an entry or whose anchored entry no longer matches.\n"
      "Examples:\n"
      "  keyd audit verify --config configs/local.yaml\n"
      "  keyd audit verify --file /var/lib/keyd/audit.jsonl\n"
      "  kubectl logs -n ipfs-system -l app.kubernetes.io/name=keyd --tail=-1 > audit.log   # audit.sink stdout\n"
      "  keyd audit verify --config keyd.yaml --file audit.log");
  verify->callback([opts, &action] {
    action = [opts] {
      std::string file = opts->file;
      if (!opts->config.empty()) {
        auto cfg = load(opts->config);
        if (!cfg) return report_error(cfg.error());
        if (cfg->audit.sink == config::AuditSink::stdout_lines) {
          if (file.empty()) {
            return report_error(Error{
                ErrorCode::invalid_config,
                fmt::format("{}: its audit trail goes to standard output (audit.sink stdout); collect the lines of "
                            "every keyd process from the log pipeline (e.g. kubectl logs -l "
                            "app.kubernetes.io/name=keyd --tail=-1 > audit.log) and pass them with --file",
                            opts->config)});
          }
          return verify_collected(std::move(*cfg), file, opts->chain_only);
        }
        if (!file.empty()) {
          return report_error(Error{
              ErrorCode::invalid_config,
              fmt::format("--file with --config is for collected lines of a config whose audit.sink is stdout; {}'s "
                          "audit trail is the file {}: drop --file, or drop --config to check another file",
                          opts->config, cfg->audit.file)});
        }
        file = cfg->audit.file;
      }
      if (file.empty()) {
        return report_error(Error{ErrorCode::invalid_config, "no audit trail: pass --config FILE or --file FILE"});
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
