// keyd generate, keyd inspect: key files without a store.
#include "commands.hpp"
#include "key_file.hpp"
#include "options.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include "keyd/domain/swarm_key.hpp"

#include <fmt/format.h>

namespace keyd::cli {

void add_generate(CLI::App& app, Action& action) {
  struct Options {
    std::string out;
    bool force = false;
    std::string config;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate", "Generate a new swarm key file (no store involved)");
  cmd->footer(
      "The key is written in canonical form (/key/swarm/psk/1.0.0/, /base16/, 64 hex) with mode 0600.\n"
      "It goes to stdout only with --out -. With --config (or KEYD_CONFIG) the generation is audited.\n"
      "Example: keyd generate --out $IPFS_PATH/swarm.key");
  cmd->add_option("-O,--out", opts->out, "Key file to write, or - for stdout")->required();
  cmd->add_flag("--force", opts->force, "Replace an existing file");
  cmd->add_option("-c,--config", opts->config, "Configuration file, for the audit trail")->envname("KEYD_CONFIG");
  cmd->callback([opts, &action] {
    action = [opts] {
      auto key = domain::generate_swarm_key();
      if (!key) return report_error(key.error());
      const std::string fingerprint = key->fingerprint().hex();
      if (auto st = write_key_output(opts->out, key->canonical_text(), opts->force, false); !st) {
        return report_error(st.error());
      }
      if (!opts->config.empty()) {
        auto cfg = load(opts->config);
        if (!cfg) return report_error(cfg.error());
        const std::string destination = opts->out == "-" ? "stdout" : opts->out;
        Status audited;
        if (cfg->audit.sink == config::AuditSink::file) {  // no store needed
          audited = app::audit_generate(*make_audit_file_log(*cfg), *make_clock(), os_actor(), fingerprint, destination);
        } else {  // the chain's head is in the store
          if (opts->out == "-") audit_lines_to_stderr();
          auto rt = Runtime::make(std::move(*cfg), Actor{os_actor()});
          if (!rt) return report_error(rt.error());
          audited = app::audit_generate((*rt)->audit(), (*rt)->clock(), os_actor(), fingerprint, destination);
        }
        if (!audited) return report_error(audited.error());
      }
      if (opts->out != "-") write_stdout(fmt::format("wrote {} (fingerprint {})\n", opts->out, fingerprint));
      return k_exit_ok;
    };
  });
}

void add_inspect(CLI::App& app, Action& action) {
  struct Options {
    std::string path;
    std::string output;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("inspect", "Check a swarm key file the way go-libp2p (Kubo) reads it");
  cmd->footer(
      "Exit status 1 when the file is invalid or the key is weak. Warnings name forms that js-libp2p\n"
      "rejects or that are not canonical. The key itself is never printed; the fingerprint matches\n"
      "Kubo's 'Swarm key fingerprint' log line.\n"
      "Examples:\n"
      "  keyd inspect /data/ipfs/swarm.key\n"
      "  kubectl -n ipfs-system get secret ipfs-swarm-key -o jsonpath='{.data.swarm\\.key}' | base64 -d | keyd inspect "
      "-");
  cmd->add_option("path", opts->path, "Key file, or - for stdin")->required();
  add_output_option(*cmd, opts->output);
  cmd->callback([opts, &action] {
    action = [opts] {
      auto input = read_key_input(opts->path);
      if (!input) return report_error(input.error());
      nlohmann::ordered_json j{{"valid", false}};
      auto parsed = domain::parse_swarm_key(*input);
      if (parsed) {
        j["encoding"] = std::string(domain::to_string(parsed->encoding));
        j["fingerprint"] = parsed->key.fingerprint().hex();
        j["warnings"] = parsed->warnings;
        if (auto strong = domain::check_key_strength(parsed->key); strong) {
          j["valid"] = true;
        } else {
          j["error"] = strong.error().message;
        }
      } else {
        j["warnings"] = nlohmann::ordered_json::array();
        j["error"] = parsed.error().message;
      }
      const bool valid = j["valid"].get<bool>();
      if (opts->output == "json") {
        write_json_line(j);
      } else {
        std::string text = fmt::format("{}: {}\n", opts->path, valid ? "valid swarm key" : "INVALID");
        if (j.contains("encoding")) text += fmt::format("  encoding: {}\n", j["encoding"].get<std::string>());
        if (j.contains("fingerprint")) text += fmt::format("  fingerprint: {}\n", j["fingerprint"].get<std::string>());
        for (const auto& w : j["warnings"]) text += fmt::format("  warning: {}\n", w.get<std::string>());
        if (j.contains("error")) text += fmt::format("  error: {}\n", j["error"].get<std::string>());
        write_stdout(text);
      }
      return valid ? k_exit_ok : k_exit_failure;
    };
  });
}

}  // namespace keyd::cli
