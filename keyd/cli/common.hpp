// Shared pieces of the subcommands: option groups, wiring config → adapters, output and errors.
#pragma once

#include "keyd/adapters/system_clock.hpp"
#include "keyd/app/use_cases.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/progress.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace keyd::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;

// The action a parsed subcommand runs; it returns the exit code.
using Action = std::function<int()>;

// --config/--swarm shared by the commands that work on a configured swarm.
struct SwarmOptions {
  std::string config;  // falls back to $KEYD_CONFIG
  std::string swarm;
};
void add_swarm_options(CLI::App& cmd, SwarmOptions& options);

// --output text|json
void add_output_option(CLI::App& cmd, std::string& output);

class KubeResources;  // kube_wiring.hpp

// Everything a use case needs, built from the config. Owns the adapters.
// Members are destroyed in reverse order: the transport outlives the store that uses it, and
// what the targets use (clock, progress, the Kubernetes client) outlives the targets in `swarm`.
struct Wiring {
  config::Config config;
  std::unique_ptr<ports::HttpTransport> transport;  // the store's connection to its server, if any
  std::unique_ptr<ports::SecretStore> store;
  std::unique_ptr<ports::AuditLog> audit;
  adapters::SystemClock clock;
  std::unique_ptr<ports::Progress> progress;  // made when a target needs one
  std::shared_ptr<KubeResources> kube;        // made when the swarm has a kubernetes target
  std::unique_ptr<app::Context> context;
  app::Swarm swarm;
  // Called when the store authenticated, with who it is to the store (Vault: "vault:kubernetes/role
  // sa=ns/name"). wire() sets it to append that to context->actor; keyd agent replaces it, keyd
  // daemon clears it (its contexts are its own and its store is used from several threads).
  std::function<void(std::string_view identity)> on_store_login;
};

enum class Targets { build, skip };
// Load the config and build store, audit log and (unless skipped) the selected swarm's targets.
[[nodiscard]] Result<std::unique_ptr<Wiring>> wire(const SwarmOptions& options, Targets targets = Targets::build);
// Any configured swarm with its targets, on w's store, clock and shared clients (keyd daemon).
[[nodiscard]] Result<app::Swarm> build_swarm(const config::SwarmConfig& swarm, Wiring& w);
// Just the config, store and audit (no swarm selection), for commands that need no swarm.
[[nodiscard]] Result<config::Config> load(const std::string& config_path);

// The OS user running keyd (the audit actor).
[[nodiscard]] std::string os_actor();

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

// Subcommand registration: each adds itself to the app and sets `action` when chosen.
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

}  // namespace keyd::cli
