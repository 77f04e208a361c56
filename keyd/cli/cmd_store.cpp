// keyd store repair: rebuild a swarm's store metadata from the records that verify.
#include "commands.hpp"
#include "output.hpp"
#include "repair_wiring.hpp"
#include "swarm_session.hpp"

#include "keyd/app/repair.hpp"

#include <fmt/format.h>

namespace keyd::cli {

namespace {

nlohmann::ordered_json repair_json(std::string_view swarm, const ports::RepairReport& r) {
  auto recovered = nlohmann::ordered_json::array();
  for (const auto& v : r.recovered) recovered.push_back({{"version", v.version}, {"created_time", v.created_time}});
  auto skipped = nlohmann::ordered_json::array();
  for (const auto& s : r.skipped) skipped.push_back({{"file", s.file}, {"reason", s.reason}});
  return {{"swarm", swarm},         {"location", r.location}, {"current_version", r.current_version},
          {"recovered", recovered}, {"skipped", skipped},     {"created_time_source", r.created_time_source}};
}

std::string repair_text(std::string_view swarm, const ports::RepairReport& r) {
  std::string versions;
  for (const auto& v : r.recovered) versions += fmt::format("{}{}", versions.empty() ? "" : ", ", v.version);
  std::string text =
      fmt::format("swarm {}: rebuilt the metadata in {}\nrecovered versions {} (current version {})\nnote: {}\n", swarm,
                  r.location, versions, r.current_version, r.created_time_source);
  if (r.skipped.empty()) return text + "no record was skipped; nothing was deleted\n";
  text +=
      fmt::format("skipped {} record(s) that do not verify (left in place, not in the metadata):\n", r.skipped.size());
  for (const auto& s : r.skipped) text += fmt::format("  {}: {}\n", s.file, s.reason);
  return text + "nothing was deleted\n";
}

}  // namespace

void add_store(CLI::App& app, Action& action) {
  struct Options {
    SwarmOptions swarm;
    std::string output;
  };
  auto opts = std::make_shared<Options>();
  auto* store = app.add_subcommand("store", "Maintain the embedded file store");
  store->require_subcommand(1);
  store->footer("Example: keyd store repair --config configs/local.yaml --swarm ipfs-overlay");
  auto* repair = store->add_subcommand(
      "repair", "Rebuild a swarm's lost store metadata from the records that verify under the master key");
  add_swarm_options(*repair, opts->swarm);
  add_output_option(*repair, opts->output);
  repair->footer(
      "For a store path whose _metadata.json is gone while its _v<N>.rec records remain (keyd refuses\n"
      "every command on it until then). Versions come from the record names, each verified by its\n"
      "AES-256-GCM tag (bound to path and version); created times are the records' modification times.\n"
      "Records that do not verify are listed and left in place; nothing is deleted. Refused when the\n"
      "metadata exists or the master key is missing. Audited as \"repair\".\n"
      "Example: keyd store repair --config configs/local.yaml --swarm ipfs-overlay");
  repair->callback([opts, &action] {
    action = [opts] {
      auto session = open_swarm(opts->swarm, Targets::skip);
      if (!session) return report_error(session.error());
      auto repairer = make_store_repair(session->runtime->config(), session->runtime->clock());
      if (!repairer) return report_error(repairer.error());
      auto report = app::repair_store(session->context(), session->swarm, **repairer);
      if (!report) return report_error(report.error());
      const std::string& name = session->swarm.name;
      if (opts->output == "json") {
        write_json_line(repair_json(name, *report));  // skipped file names need not be UTF-8
      } else {
        write_stdout(repair_text(name, *report));
      }
      return k_exit_ok;
    };
  });
}

}  // namespace keyd::cli
