#include "common.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

namespace keyd::cli {

void add_swarm_options(CLI::App& cmd, SwarmOptions& options) {
  cmd.add_option("-c,--config", options.config, "Configuration file (YAML)")->envname("KEYD_CONFIG");
  cmd.add_option("-s,--swarm", options.swarm, "Swarm name from the config; may be omitted when only one is configured");
}

void add_output_option(CLI::App& cmd, std::string& output) {
  cmd.add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_val("text");
}

int report_error(const Error& error) {
  std::fprintf(stderr, "keyd: error: %s\n", error.message.c_str());
  return error.code == ErrorCode::invalid_config ? k_exit_usage : k_exit_failure;
}

bool write_stdout(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

nlohmann::ordered_json to_json(const app::KeyReport& report) {
  auto targets = nlohmann::ordered_json::array();
  for (const auto& t : report.targets) {
    nlohmann::ordered_json j{{"target", t.target}, {"outcome", app::to_string(t.outcome)}};
    if (!t.error.empty()) j["error"] = t.error;
    targets.push_back(std::move(j));
  }
  nlohmann::ordered_json j{{"swarm", report.swarm},
                   {"version", report.version},
                   {"fingerprint", report.fingerprint},
                   {"reason", report.reason},
                   {"targets", std::move(targets)}};
  if (!report.warnings.empty()) j["warnings"] = report.warnings;
  if (report.rollback) j["rollback"] = to_json(*report.rollback);
  return j;
}

std::string to_text(std::string_view verb, const app::KeyReport& report) {
  std::string text = fmt::format("{} swarm {}: version {}, fingerprint {}\n", verb, report.swarm, report.version,
                                 report.fingerprint);
  for (const auto& w : report.warnings) text += fmt::format("  warning: {}\n", w);
  if (report.targets.empty()) text += "  no targets configured\n";
  for (const auto& t : report.targets) {
    text += fmt::format("  {}: {}{}\n", t.target, app::to_string(t.outcome), t.error.empty() ? "" : " — " + t.error);
  }
  if (report.rollback) text += to_text("rolled back", *report.rollback);
  return text;
}

int print_report(std::string_view verb, const app::KeyReport& report, const std::string& output) {
  if (output == "json") {
    write_json_line(to_json(report));
  } else {
    write_stdout(to_text(verb, report));
  }
  if (const auto failed = report.failed_targets(); failed > 0) {
    return report_error(Error{ErrorCode::unavailable,
                              fmt::format("{} of {} target(s) failed; version {} is stored — run 'keyd sync' to retry",
                                          failed, report.targets.size(), report.version)});
  }
  return k_exit_ok;
}

}  // namespace keyd::cli
