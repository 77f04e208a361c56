// keyd config check: read a configuration exactly as every command does and say what it configures
// (store, audit trail, each swarm's targets) without touching the store, a target or the network.
// --require-target TYPE refuses (exit 2) a configuration in which no swarm delivers to a target of
// that type: `just deploy` asks for kubernetes before it applies anything to a cluster.
#include "commands.hpp"
#include "options.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keyd::cli {

namespace {

std::string describe_audit(const config::AuditConfig& audit) {
  if (audit.sink == config::AuditSink::file) return audit.file;
  return fmt::format("standard output, chain head in the store at {}", audit.head_path);
}

nlohmann::ordered_json audit_json(const config::AuditConfig& audit) {
  const std::string sink(config::to_string(audit.sink));
  if (audit.sink == config::AuditSink::file) return {{"sink", sink}, {"file", audit.file}};
  return {{"sink", sink}, {"head_path", audit.head_path}};
}

std::string describe_store(const config::StoreConfig& store) {
  switch (store.backend) {
    case config::StoreBackend::file:
      return fmt::format("file (dir {})", store.file.dir);
    case config::StoreBackend::vault:
      return fmt::format("vault ({}, mount {})", store.vault.address.empty() ? "$VAULT_ADDR" : store.vault.address,
                         store.vault.mount);
    case config::StoreBackend::mcp:
      return fmt::format("mcp (mount {})", store.mcp.mount);
    case config::StoreBackend::daemon:
      return fmt::format("daemon ({})", store.daemon.url);
  }
  return "unknown";
}

std::string describe_target(const config::TargetConfig& target) {
  if (target.type == config::TargetType::file) return fmt::format("file {}", target.path);
  const std::string ns = target.namespace_name.empty() ? "(the connection's namespace)" : target.namespace_name;
  std::string text = target.secret.empty() ? fmt::format("kubernetes in {}, no Secret", ns)
                                           : fmt::format("kubernetes Secret {}/{} key {}", ns, target.secret, target.key);
  for (const auto& workload : target.restart) {
    text += fmt::format("; restarts {} {} ({})", config::to_string(workload.kind), workload.name,
                        config::to_string(target.strategy));
  }
  return text;
}

nlohmann::ordered_json target_json(const config::TargetConfig& target) {
  nlohmann::ordered_json j{{"type", config::to_string(target.type)}};
  if (target.type == config::TargetType::file) {
    j["path"] = target.path;
    return j;
  }
  j["namespace"] = target.namespace_name;
  j["secret"] = target.secret;
  j["key"] = target.key;
  auto restart = nlohmann::ordered_json::array();
  for (const auto& workload : target.restart) {
    restart.push_back({{"kind", config::to_string(workload.kind)}, {"name", workload.name}});
  }
  j["restart"] = std::move(restart);
  j["strategy"] = config::to_string(target.strategy);
  return j;
}

}  // namespace

void add_config(CLI::App& app, Action& action) {
  struct Options {
    std::string config;
    std::string output;
    std::string require_target;
  };
  auto opts = std::make_shared<Options>();
  auto* group = app.add_subcommand("config", "Work with configuration files");
  group->require_subcommand(1);
  group->footer("Example: keyd config check --config configs/local.yaml");
  auto* cmd = group->add_subcommand(
      "check", "Validate a configuration and list its store, audit trail, swarms and targets; touches nothing");
  cmd->add_option("-c,--config", opts->config, "Configuration file (YAML)")->envname("KEYD_CONFIG");
  add_output_option(*cmd, opts->output);
  cmd->add_option("--require-target", opts->require_target,
                  "Exit 2 unless some swarm delivers to a target of this type")
      ->check(CLI::IsMember({"file", "kubernetes"}));
  cmd->footer(
      "Reads the file as every command does (relative paths resolve against its directory) and prints\n"
      "what it configures; never a key, and no store, target or network is touched. Exit status 2\n"
      "when the file is invalid or --require-target finds no such target.\n"
      "Examples:\n"
      "  keyd config check --config configs/local.yaml\n"
      "  keyd config check --config configs/kubernetes.yaml --require-target kubernetes --output json");
  cmd->callback([opts, &action] {
    action = [opts] {
      auto cfg = load(opts->config);
      if (!cfg) return report_error(cfg.error());
      if (!opts->require_target.empty()) {
        const bool found = std::ranges::any_of(cfg->swarms, [&](const config::SwarmConfig& swarm) {
          return std::ranges::any_of(swarm.targets, [&](const config::TargetConfig& target) {
            return config::to_string(target.type) == opts->require_target;
          });
        });
        if (!found) {
          return report_error(Error{ErrorCode::invalid_config,
                                    fmt::format("{}: no swarm has a {} target (its swarms deliver only to: {})",
                                                opts->config, opts->require_target, [&] {
                                                  std::string types;
                                                  for (const auto& swarm : cfg->swarms) {
                                                    for (const auto& target : swarm.targets) {
                                                      if (!types.empty()) types += ", ";
                                                      types += describe_target(target);
                                                    }
                                                  }
                                                  return types.empty() ? std::string("nothing") : types;
                                                }())});
        }
      }
      if (opts->output == "json") {
        nlohmann::ordered_json j{{"config", opts->config},
                                 {"valid", true},
                                 {"store", {{"backend", config::to_string(cfg->store.backend)}}},
                                 {"audit", audit_json(cfg->audit)}};
        auto swarms = nlohmann::ordered_json::array();
        for (const auto& swarm : cfg->swarms) {
          auto targets = nlohmann::ordered_json::array();
          for (const auto& target : swarm.targets) targets.push_back(target_json(target));
          swarms.push_back({{"name", swarm.name}, {"path", swarm.path}, {"targets", std::move(targets)}});
        }
        j["swarms"] = std::move(swarms);
        write_json_line(j);
        return k_exit_ok;
      }
      std::string text = fmt::format("{}: valid\nstore: {}\naudit: {}\n", opts->config, describe_store(cfg->store),
                                     describe_audit(cfg->audit));
      for (const auto& swarm : cfg->swarms) {
        text += fmt::format("swarm {} (store path {}): {} target(s)\n", swarm.name, swarm.path, swarm.targets.size());
        for (const auto& target : swarm.targets) text += fmt::format("  {}\n", describe_target(target));
      }
      write_stdout(text);
      return k_exit_ok;
    };
  });
}

}  // namespace keyd::cli
