// keyd fetch, keyd history: read the store.
#include "commands.hpp"
#include "key_file.hpp"
#include "output.hpp"
#include "swarm_session.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace keyd::cli {

void add_fetch(CLI::App& app, Action& action) {
  struct Options {
    SwarmOptions swarm;
    int version = 0;
    std::string out;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("fetch", "Write a stored key version to a file (or stdout with --out -)");
  add_swarm_options(*cmd, opts->swarm);
  cmd->add_option("-v,--version", opts->version, "Version to fetch (default: current)")->check(CLI::PositiveNumber);
  cmd->add_option("-O,--out", opts->out, "Key file to write (mode 0600, atomically), or - for stdout")->required();
  cmd->add_flag("--force", opts->force, "Replace an existing file that does not hold a swarm key");
  cmd->footer(
      "Every fetch is audited. An existing swarm key file at --out is replaced; any other file is\n"
      "kept unless --force is given. Example: keyd fetch --out $IPFS_PATH/swarm.key");
  cmd->callback([opts, &action] {
    action = [opts] {
      if (opts->out == "-") audit_lines_to_stderr();  // stdout is the key file
      auto session = open_swarm(opts->swarm, Targets::skip);
      if (!session) return report_error(session.error());
      const auto version = opts->version > 0 ? std::optional<int>(opts->version) : std::nullopt;
      auto stored = app::fetch(session->context(), session->swarm, version);
      if (!stored) return report_error(stored.error());
      if (auto st = write_key_output(opts->out, stored->data.key_text, opts->force, true); !st) {
        return report_error(st.error());
      }
      const std::string summary =
          fmt::format("fetched swarm {} version {} (fingerprint {}) to {}\n", session->swarm.name, stored->info.version,
                      stored->data.fingerprint, opts->out == "-" ? "stdout" : opts->out);
      if (opts->out == "-") {
        std::fputs(summary.c_str(), stderr);
      } else {
        write_stdout(summary);
      }
      return k_exit_ok;
    };
  });
}

void add_history(CLI::App& app, Action& action) {
  struct Options {
    SwarmOptions swarm;
    std::string output;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("history", "List the stored versions of a swarm's key (never the keys)");
  cmd->footer(
      "Deleted and destroyed versions are listed as such. The fingerprints match Kubo's log line.\n"
      "Examples:\n"
      "  keyd history --config configs/local.yaml\n"
      "  keyd history --config configs/vault.yaml --swarm ipfs-overlay --output json");
  add_swarm_options(*cmd, opts->swarm);
  add_output_option(*cmd, opts->output);
  cmd->callback([opts, &action] {
    action = [opts] {
      auto session = open_swarm(opts->swarm, Targets::skip);
      if (!session) return report_error(session.error());
      auto entries = app::history(session->context(), session->swarm);
      if (!entries) return report_error(entries.error());
      if (opts->output == "json") {
        auto j = nlohmann::ordered_json::array();
        for (const auto& e : *entries) {
          nlohmann::ordered_json row{{"version", e.version},
                                     {"fingerprint", e.fingerprint},
                                     {"created_time", e.created_time},
                                     {"issued_by", e.issued_by},
                                     {"reason", e.reason}};
          if (e.deleted) row["deleted"] = true;
          if (e.destroyed) row["destroyed"] = true;
          if (e.unreadable) row["unreadable"] = true;
          if (!e.unreadable_reason.empty()) row["unreadable_reason"] = e.unreadable_reason;
          j.push_back(std::move(row));
        }
        write_json_line(j);
        return k_exit_ok;
      }
      std::string text =
          fmt::format("{:<8} {:<31} {:<32}  {:<12} {}\n", "VERSION", "CREATED", "FINGERPRINT", "ISSUED BY", "REASON");
      std::string notes;
      for (const auto& e : *entries) {
        const std::string fp = e.destroyed                    ? "(destroyed)"
                               : e.deleted                    ? "(deleted)"
                               : !e.unreadable_reason.empty() ? "(unreadable)"
                               : e.unreadable                 ? "(not readable here)"
                                                              : e.fingerprint;
        text += fmt::format("{:<8} {:<31} {:<32}  {:<12} {}\n", e.version, e.created_time, fp, e.issued_by, e.reason);
        if (!e.unreadable_reason.empty()) {
          notes += fmt::format("version {} is unreadable: {}\n", e.version, e.unreadable_reason);
        }
      }
      if (!notes.empty()) text += "\n" + notes;
      write_stdout(text);
      return k_exit_ok;
    };
  });
}

}  // namespace keyd::cli
