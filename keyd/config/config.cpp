#include "keyd/config/config.hpp"

#include "keyd/domain/store_path.hpp"
#include "schema.hpp"
#include "yaml_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace keyd::config {
namespace {

using schema::Choice;
using schema::Field;
using schema::Problems;
using schema::Where;

constexpr std::size_t k_max_name_length = 63;

constexpr std::array k_backends{Choice{"file", true}, Choice{"vault", true}, Choice{"mcp", true},
                                Choice{"daemon", true}};

void parse_backend(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out) {
  if (auto name = schema::choice(value, where, problems, k_backends, "backend")) {
    out.backend = *schema::enum_named<StoreBackend, static_cast<int>(k_backends.size())>(*name);
  }
}

bool valid_swarm_name(std::string_view name) {
  const auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  return !name.empty() && name.size() <= k_max_name_length && std::ranges::all_of(name, allowed) &&
         name.front() != '-' && name.back() != '-';
}

void parse_swarm_name(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  auto name = schema::non_empty_string(value, where, problems);
  if (!name) return;
  if (!valid_swarm_name(*name)) {
    problems.add(where.mark, where.prefix() + "invalid swarm name '" + *name +
                                 "' (lowercase letters, digits and '-', not starting or ending with '-', at most 63 "
                                 "characters)");
    return;
  }
  out.name = std::move(*name);
}

// What some store backend refuses, so no backend fails at run time on a path the config accepted
// (a swarm's path, the audit head's). false after reporting it.
bool valid_store_path(const std::string& path, const Where& where, Problems& problems) {
  if (const auto problem = domain::store_path_problem(path); !problem.empty()) {
    problems.add(where.mark, where.prefix() + "invalid store path: " + problem);
    return false;
  }
  return true;
}

void parse_swarm_path(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  auto path = schema::non_empty_string(value, where, problems);
  if (!path) return;
  if (const auto problem = schema::relative_path_problem(*path); !problem.empty()) {
    problems.add(where.mark, where.prefix() + problem + ", got '" + *path + "'");
    return;
  }
  if (valid_store_path(*path, where, problems)) out.path = std::move(*path);
}

constexpr std::array k_swarm_fields{
    Field<SwarmConfig>{"name", true, parse_swarm_name},
    Field<SwarmConfig>{"path", false, parse_swarm_path},
    Field<SwarmConfig>{"targets", false, schema::parse_targets},
    Field<SwarmConfig>{"rotation", false, schema::parse_rotation},
    Field<SwarmConfig>{"key_readers", false, schema::parse_key_readers},
    Field<SwarmConfig>{"operators", false, schema::parse_operators},
};

// Where something was first claimed, to report a second claim against it.
struct Claim {
  std::string swarm;
  int line = 0;  // 1-based
};
using Claims = std::map<std::string, Claim, std::less<>>;

// Record that `swarm` claims `what`; a second claim is a problem at `at`.
void claim(Claims& claims, const std::string& what, std::string_view description, std::string_view why,
           const std::string& swarm, const YAML::Mark& at, Problems& problems) {
  const auto [first, inserted] = claims.emplace(what, Claim{swarm, at.line + 1});
  if (inserted) return;
  problems.add(at, std::string(description) + " is already used by swarm '" + first->second.swarm + "' (line " +
                       std::to_string(first->second.line) + "): " + std::string(why));
}

YAML::Mark mark_of(const YAML::Node& map, std::string_view key, const YAML::Node& fallback) {
  const YAML::Node value = map.IsMap() ? map[std::string(key)] : YAML::Node();
  return value ? value.Mark() : fallback.Mark();
}

// Each store path and each target (key file, Secret key) belongs to one swarm only.
void check_exclusive(const SwarmConfig& swarm, const YAML::Node& item, Claims& paths, Claims& targets,
                     Problems& problems) {
  claim(paths, swarm.path, "store path '" + swarm.path + "'",
        "one swarm's rotation would become a new version of the other's key", swarm.name, mark_of(item, "path", item),
        problems);
  constexpr std::string_view overwrite = "the swarms would overwrite each other's key";
  const YAML::Node target_nodes = item["targets"];
  for (std::size_t i = 0; i < swarm.targets.size(); ++i) {
    const TargetConfig& target = swarm.targets[i];
    const YAML::Node node =
        target_nodes && target_nodes.IsSequence() && i < target_nodes.size() ? target_nodes[i] : item;
    if (target.type == TargetType::file && !target.path.empty()) {
      const std::string normal = std::filesystem::path(target.path).lexically_normal().string();
      claim(targets, "file:" + normal, "target file '" + target.path + "'", overwrite, swarm.name,
            mark_of(node, "path", node), problems);
    } else if (target.type == TargetType::kubernetes && !target.secret.empty()) {
      const std::string where = (target.namespace_name.empty() ? "<default namespace>" : target.namespace_name) + "/" +
                                target.secret + " key " + target.key;
      claim(targets, "secret:" + where, "target Secret " + where, overwrite, swarm.name, mark_of(node, "secret", node),
            problems);
    }
  }
}

void parse_swarms(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  if (value.IsSequence() && value.size() == 0) {
    problems.add(where.mark, where.prefix() + "at least one swarm is required");
    return;
  }
  std::map<std::string, int, std::less<>> first_line;  // name → 1-based line
  Claims paths;
  Claims targets;
  for (auto& [swarm, node, index] : schema::parse_list(value, where, problems, k_swarm_fields)) {
    if (swarm.name.empty()) continue;  // reported already
    const YAML::Node& item = node;
    const YAML::Node name_node = item["name"];
    const auto [first, inserted] = first_line.emplace(swarm.name, name_node.Mark().line + 1);
    if (!inserted) {
      problems.add(name_node.Mark(), where.path + "[" + std::to_string(index) + "].name: duplicate swarm name '" +
                                         swarm.name + "' (first at line " + std::to_string(first->second) + ")");
    }
    if (swarm.path.empty()) swarm.path = swarm.name + "/swarm-key";
    if (inserted) check_exclusive(swarm, item, paths, targets, problems);  // a duplicate name says enough
    out.swarms.push_back(std::move(swarm));
  }
}

constexpr std::array k_file_store_fields{
    Field<FileStoreConfig>{"dir", false, schema::string_field<&FileStoreConfig::dir>},
    Field<FileStoreConfig>{"master_key_file", false, schema::string_field<&FileStoreConfig::master_key_file>},
    Field<FileStoreConfig>{"max_versions", false, schema::int_field<&FileStoreConfig::max_versions, 1, 100>},
};

constexpr std::array k_store_fields{
    Field<StoreConfig>{"backend", false, parse_backend},
    Field<StoreConfig>{"file", false, schema::map_field<&StoreConfig::file, k_file_store_fields>},
    Field<StoreConfig>{"vault", false, schema::parse_vault_section},
    Field<StoreConfig>{"mcp", false, schema::parse_mcp_section},
    Field<StoreConfig>{"daemon", false, schema::parse_daemon_store_section},
};

// The mcp backend has no default server to start, the daemon backend no default daemon.
void parse_store(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  if (!schema::parse_map(value, where, problems, k_store_fields, out.store)) return;
  const YAML::Node mcp = value["mcp"];
  if (out.store.backend == StoreBackend::mcp && !(mcp && mcp.IsMap() && mcp["command"])) {
    problems.add(value["backend"].Mark(),
                 where.path + ".mcp.command: required with backend mcp (the MCP server to start)");
  }
  // The daemon backend has no default daemon or token either.
  const YAML::Node daemon = value["daemon"];
  if (out.store.backend == StoreBackend::daemon) {
    for (const char* key : {"url", "token_file"}) {
      if (daemon && daemon.IsMap() && daemon[key]) continue;
      problems.add(value["backend"].Mark(), where.path + ".daemon." + key + ": required with backend daemon");
    }
  }
}

constexpr std::array k_audit_sinks{Choice{"file", true}, Choice{"stdout", true}};

void parse_audit_sink(const YAML::Node& value, const Where& where, Problems& problems, AuditConfig& out) {
  if (auto name = schema::choice(value, where, problems, k_audit_sinks, "sink")) {
    out.sink = *schema::enum_named<AuditSink, static_cast<int>(k_audit_sinks.size())>(*name);
  }
}

void parse_audit_head_path(const YAML::Node& value, const Where& where, Problems& problems, AuditConfig& out) {
  auto path = schema::non_empty_string(value, where, problems);
  if (path && valid_store_path(*path, where, problems)) out.head_path = std::move(*path);
}

constexpr std::array k_audit_fields{
    Field<AuditConfig>{"sink", false, parse_audit_sink},
    Field<AuditConfig>{"file", false, schema::string_field<&AuditConfig::file>},
    Field<AuditConfig>{"head_path", false, parse_audit_head_path},
};

constexpr std::array k_config_fields{
    Field<Config>{"store", false, parse_store},
    Field<Config>{"audit", false, schema::map_field<&Config::audit, k_audit_fields>},
    Field<Config>{"kubernetes", false, schema::parse_kubernetes_section},
    Field<Config>{"swarms", true, parse_swarms},
    Field<Config>{"sync_interval", false, schema::parse_sync_interval},
    Field<Config>{"concurrency", false, schema::int_field<&Config::concurrency, 1, 32>},
    Field<Config>{"server", false, schema::parse_server_section},
    Field<Config>{"leader_election", false, schema::parse_leader_election_section},
};

// sink stdout keeps the chain's head in the store: a store keyd writes with check-and-set, at a path
// no swarm's key is at.
void check_audit_home(const YAML::Node& root, const Config& config, Problems& problems) {
  if (config.audit.sink != AuditSink::stdout_lines) return;
  const YAML::Node audit = root["audit"];
  const YAML::Mark mark = mark_of(audit, "sink", root);
  if (config.store.backend == StoreBackend::mcp || config.store.backend == StoreBackend::daemon) {
    problems.add(mark, fmt::format("audit.sink: stdout keeps the audit chain's head in the store with check-and-set; "
                                   "the {} backend {}: use sink file",
                                   to_string(config.store.backend),
                                   config.store.backend == StoreBackend::mcp ? "has no check-and-set"
                                                                             : "is read-only"));
  }
  for (const auto& swarm : config.swarms) {
    if (swarm.path == config.audit.head_path) {
      problems.add(mark_of(audit, "head_path", root),
                   fmt::format("audit.head_path: '{}' is swarm {}'s store path (the head would become a version of "
                               "its key); pick another",
                               config.audit.head_path, swarm.name));
    }
  }
}

}  // namespace

Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name) {
  Problems problems{std::string(source_name)};
  std::vector<YAML::Node> documents;
  if (!yaml_text::load_documents(yaml_text, problems, documents)) return fail(problems.to_error());
  if (documents.empty() || documents.front().IsNull()) {
    problems.add(YAML::Mark::null_mark(), "no configuration");
    return fail(problems.to_error());
  }
  if (documents.size() > 1) {
    problems.add(documents[1].Mark(), "expected one YAML document, found " + std::to_string(documents.size()));
  }

  Config config;
  config.source = std::string(source_name);
  schema::parse_map(documents.front(), Where{"", documents.front().Mark()}, problems, k_config_fields, config);
  if (problems.empty()) check_audit_home(documents.front(), config, problems);
  if (!problems.empty()) return fail(problems.to_error());
  return config;
}

namespace {

// Every key of a config that names a local file or directory, with its name for messages: the one
// list resolve_relative_paths() walks (a swarm's `path` is a store path, an MCP command is looked up
// in PATH: neither is here).
template <typename Visit>
void for_each_file_path(Config& c, Visit&& visit) {
  visit("store.file.dir", c.store.file.dir);
  visit("store.file.master_key_file", c.store.file.master_key_file);
  auto& vault = c.store.vault;
  visit("store.vault.auth.token_file", vault.auth.token_file);
  visit("store.vault.auth.role_id_file", vault.auth.role_id_file);
  visit("store.vault.auth.secret_id_file", vault.auth.secret_id_file);
  visit("store.vault.auth.jwt_file", vault.auth.jwt_file);
  visit("store.vault.tls.ca_file", vault.tls.ca_file);
  visit("store.vault.tls.client_cert_file", vault.tls.client_cert_file);
  visit("store.vault.tls.client_key_file", vault.tls.client_key_file);
  for (auto& [variable, file] : c.store.mcp.env_files) visit("store.mcp.env_files." + variable, file);
  visit("store.daemon.token_file", c.store.daemon.token_file);
  visit("store.daemon.ca_file", c.store.daemon.ca_file);
  visit("audit.file", c.audit.file);
  visit("kubernetes.kubeconfig", c.kubernetes.kubeconfig);
  visit("server.auth.tokens_file", c.server.auth.tokens_file);
  if (c.server.tls) {
    visit("server.tls.cert_file", c.server.tls->cert_file);
    visit("server.tls.key_file", c.server.tls->key_file);
  }
  visit("leader_election.lock_file", c.leader_election.lock_file);
  for (std::size_t s = 0; s < c.swarms.size(); ++s) {
    for (std::size_t t = 0; t < c.swarms[s].targets.size(); ++t) {
      auto& target = c.swarms[s].targets[t];
      if (target.type == TargetType::file) visit(fmt::format("swarms[{}].targets[{}].path", s, t), target.path);
    }
  }
}

bool present(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::symlink_status(p, ec).type() != std::filesystem::file_type::not_found && !ec;
}

// Relative paths name places next to the config file, wherever keyd runs from. keyd 0.1.0 resolved
// them against the working directory; an existing setup may still keep its state there. Such a
// path — present under the working directory, absent under the config's — is refused rather than
// silently replaced by a new, empty one (a second store with a new master key, a key file nobody
// reads), naming both places.
Status resolve_relative_paths(Config& config, const std::filesystem::path& base, const std::filesystem::path& cwd) {
  std::vector<std::string> stranded;
  for_each_file_path(config, [&](const std::string& key, std::string& value) {
    if (value.empty() || std::filesystem::path(value).is_absolute()) return;
    const std::filesystem::path resolved = (base / value).lexically_normal();
    const std::filesystem::path before = (cwd / value).lexically_normal();
    if (resolved != before && present(before) && !present(resolved)) {
      stranded.push_back(
          fmt::format("  {} '{}': {} does not exist, {} does", key, value, resolved.string(), before.string()));
    }
    value = resolved.string();
  });
  if (stranded.empty()) return {};
  std::string message = fmt::format(
      "{}: relative paths in a config resolve against its directory {} (keyd 0.1.0 resolved them against the "
      "working directory, {}); these exist only under the working directory — move them next to the config, or "
      "write absolute paths:",
      config.source, base.string(), cwd.string());
  for (const auto& line : stranded) message += "\n" + line;
  return fail(ErrorCode::invalid_config, std::move(message));
}

}  // namespace

Result<Config> load_config(const std::filesystem::path& path, const std::filesystem::path& working_dir) {
  KEYD_ASSIGN_OR_RETURN(const std::string text, yaml_text::read_file(path, "config file"));
  KEYD_ASSIGN_OR_RETURN(Config config, parse_config(text, path.string()));
  std::error_code ec;
  std::filesystem::path cwd = working_dir;
  if (cwd.empty()) cwd = std::filesystem::current_path(ec);
  if (ec)
    return fail(ErrorCode::io, fmt::format("config file {}: the working directory: {}", path.string(), ec.message()));
  const std::filesystem::path base = (cwd / path).lexically_normal().parent_path();
  KEYD_TRY(resolve_relative_paths(config, base, cwd));
  return config;
}

Result<const SwarmConfig*> select_swarm(const Config& config, std::string_view name) {
  std::vector<std::string> names;
  for (const SwarmConfig& swarm : config.swarms) {
    if (swarm.name == name) return &swarm;
    names.push_back(swarm.name);
  }
  if (name.empty() && config.swarms.size() == 1) return &config.swarms.front();
  if (name.empty()) {
    return fail(ErrorCode::invalid_config, config.swarms.empty()
                                               ? std::string("no swarms configured")
                                               : "several swarms configured, choose one: " + schema::join(names));
  }
  return fail(ErrorCode::invalid_config,
              "no swarm named '" + std::string(name) + "' (configured: " + schema::join(names) + ")");
}

}  // namespace keyd::config
