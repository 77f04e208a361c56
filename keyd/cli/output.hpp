// What the subcommands print: exit codes, errors on stderr, reports and JSON lines on stdout.
#pragma once

#include "keyd/app/use_cases.hpp"
#include "keyd/common/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace keyd::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;

// Print "keyd: error: <message>" to stderr and return the exit code for the error's kind.
int report_error(const Error& error);

// Write text to stdout/stderr in full; false on failure (e.g. a closed pipe).
bool write_stdout(std::string_view text);
// One JSON document as a line on stdout. Bytes that are not UTF-8 (a file name, a server's message)
// print as U+FFFD: after the work is done, output must not fail with an exception.
template <typename Json>
bool write_json_line(const Json& document) {
  return write_stdout(document.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

// JSON of a report from rotate/sync/import/rollback: {"swarm","version","fingerprint","targets":[...]}.
[[nodiscard]] nlohmann::ordered_json to_json(const app::KeyReport& report);
// Human text of the same.
[[nodiscard]] std::string to_text(std::string_view verb, const app::KeyReport& report);
// Print a KeyReport in the chosen format; the exit code is 1 when a target failed.
int print_report(std::string_view verb, const app::KeyReport& report, const std::string& output);

}  // namespace keyd::cli
