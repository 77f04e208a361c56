#include "keyd/cli/run.hpp"

#include "commands.hpp"
#include "runtime.hpp"
#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/cli/heap_pretouch.hpp"
#include "keyd/cli/log_format.hpp"
#include "output.hpp"


#include <array>
#include <cstdio>
#include <exception>
#include <span>
#include <string_view>

namespace keyd::cli {

namespace {

// How a command's heap grows (keyd/cli/heap_pretouch.hpp). `at_once`: the commands that talk to a
// store (and so, with Vault or Kubernetes, start TLS) and then exit. The daemon and the agent run long
// enough that their start does not matter, and their memory is what a container's limit sees: they
// keep the heap as it grows; so do commands without a store.
enum class Heap { as_it_grows, at_once };

struct Command {
  std::string_view name;
  void (*add)(CLI::App&, Action&);
  Heap heap = Heap::as_it_grows;
};

// Every subcommand, in the order `keyd --help` lists them.
constexpr std::array k_commands{
    Command{"generate", add_generate},
    Command{"inspect", add_inspect},
    Command{"rotate", add_rotate, Heap::at_once},
    Command{"sync", add_sync, Heap::at_once},
    Command{"fetch", add_fetch, Heap::at_once},
    Command{"history", add_history, Heap::at_once},
    Command{"import", add_import, Heap::at_once},
    Command{"rollback", add_rollback, Heap::at_once},
    Command{"audit", add_audit, Heap::at_once},
    Command{"scan", add_scan},
    Command{"bundle", add_bundle},
    Command{"daemon", add_daemon},
    Command{"agent", add_agent},
    Command{"store", add_store, Heap::at_once},
    Command{"config", add_config},
    Command{"version", add_version},
};

// Building every subcommand's options costs more than the rest of `keyd version` (CLI11 allocates
// each option, its validators and their descriptions). When the command line names one subcommand
// unambiguously, only that one is built: everything before its name is --log-level or --log-format (with its value)
// and no other word anywhere equals a subcommand's name. The parse, the errors and the subcommand's
// --help are then the same as with the full tree, which sees only that subcommand's words. Anything
// else (`keyd`, `keyd --help`, a typo, a command name as an option's value) builds the whole tree.
std::span<const Command> commands_to_register(int argc, char** argv) {
  const auto find = [](std::string_view word) -> const Command* {
    for (const auto& command : k_commands)
      if (command.name == word) return &command;
    return nullptr;
  };
  const Command* chosen = nullptr;
  bool before_command = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    const Command* command = find(word);
    if (before_command) {
      if (command != nullptr) {
        chosen = command;
        before_command = false;
      } else if ((word == "--log-level" || word == "--log-format") && i + 1 < argc && find(argv[i + 1]) == nullptr) {
        ++i;
      } else if (!word.starts_with("--log-level=") && !word.starts_with("--log-format=")) {
        return k_commands;
      }
    } else if (command != nullptr) {
      return k_commands;
    }
  }
  if (chosen == nullptr)
    return argc == 2 && std::string_view(argv[1]) == "--version" ? std::span<const Command>{} : k_commands;
  return {chosen, 1};
}

// Heap made present at once for a short command (keyd/cli/heap_pretouch.hpp): a TLS fetch or
// rotation uses about 600 KiB.
constexpr std::size_t k_short_command_heap = 768 * 1024;

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
  app.set_version_flag("--version", "keyd " KEYD_VERSION, "Print keyd's version and exit (as `keyd version`)");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log verbosity on stderr")
      ->envname("KEYD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  std::string log_format = "text";
  app.add_option("--log-format", log_format,
                 "Log lines on stderr: text, or json (one object per line with time, level, msg, swarm, version, "
                 "fingerprint, target) for a log pipeline; both start with an RFC 3339 UTC time")
      ->envname("KEYD_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  Action action;
  audit_lines_to_stdout();
  const auto registered = commands_to_register(argc, argv);
  for (const auto& command : registered) command.add(app, action);
  const bool pretouch = registered.size() == 1 && registered.front().heap == Heap::at_once;

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "keyd: error: %s\nRun 'keyd --help' or 'keyd <command> --help' for usage.\n", e.what());
    return k_exit_usage;
  }

  try {
    adapters::keep_tls_library_until_exit();
    if (pretouch) pretouch_heap(k_short_command_heap);
    setup_logging(log_level, log_format == "json" ? LogFormat::json : LogFormat::text);
    return action ? action() : k_exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keyd: error: internal error: %s\n", e.what());
    return k_exit_failure;
  }
}

}  // namespace keyd::cli
