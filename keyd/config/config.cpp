#include "keyd/config/config.hpp"

#include "schema.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

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
  if (auto name = schema::choice(value, where, problems, k_backends, "backend")) out.backend = std::move(*name);
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

void parse_swarm_path(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  auto path = schema::non_empty_string(value, where, problems);
  if (!path) return;
  if (const auto problem = schema::relative_path_problem(*path); !problem.empty()) {
    problems.add(where.mark, where.prefix() + problem + ", got '" + *path + "'");
    return;
  }
  out.path = std::move(*path);
}

constexpr std::array k_swarm_fields{
    Field<SwarmConfig>{"name", true, parse_swarm_name},
    Field<SwarmConfig>{"path", false, parse_swarm_path},
    Field<SwarmConfig>{"targets", false, schema::parse_targets},
    Field<SwarmConfig>{"rotation", false, schema::parse_rotation},
    Field<SwarmConfig>{"key_readers", false, schema::parse_key_readers},
};

void parse_swarms(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  if (value.IsSequence() && value.size() == 0) {
    problems.add(where.mark, where.prefix() + "at least one swarm is required");
    return;
  }
  std::map<std::string, int, std::less<>> first_line;  // name → 1-based line
  for (auto& [swarm, node, index] : schema::parse_list(value, where, problems, k_swarm_fields)) {
    if (swarm.name.empty()) continue;  // reported already
    const YAML::Node& item = node;
    const YAML::Node name_node = item["name"];
    const auto [first, inserted] = first_line.emplace(swarm.name, name_node.Mark().line + 1);
    if (!inserted) {
      problems.add(name_node.Mark(), where.path + "[" + std::to_string(index) + "].name: duplicate swarm name '" + swarm.name +
                                         "' (first at line " + std::to_string(first->second) + ")");
    }
    if (swarm.path.empty()) swarm.path = swarm.name + "/swarm-key";
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
  if (out.store.backend == "mcp" && !(mcp && mcp.IsMap() && mcp["command"])) {
    problems.add(value["backend"].Mark(), where.path + ".mcp.command: required with backend mcp (the MCP server to start)");
  }
  // The daemon backend has no default daemon or token either.
  const YAML::Node daemon = value["daemon"];
  if (out.store.backend == "daemon") {
    for (const char* key : {"url", "token_file"}) {
      if (daemon && daemon.IsMap() && daemon[key]) continue;
      problems.add(value["backend"].Mark(), where.path + ".daemon." + key + ": required with backend daemon");
    }
  }
}

constexpr std::array k_audit_fields{
    Field<AuditConfig>{"file", false, schema::string_field<&AuditConfig::file>},
};

constexpr std::array k_config_fields{
    Field<Config>{"store", false, parse_store},
    Field<Config>{"audit", false, schema::map_field<&Config::audit, k_audit_fields>},
    Field<Config>{"kubernetes", false, schema::parse_kubernetes_section},
    Field<Config>{"swarms", true, parse_swarms},
    Field<Config>{"sync_interval", false, schema::parse_sync_interval},
    Field<Config>{"server", false, schema::parse_server_section},
    Field<Config>{"leader_election", false, schema::parse_leader_election_section},
};

}  // namespace

Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name) {
  Problems problems{std::string(source_name)};
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, e.msg);
    return fail(problems.to_error());
  }
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
  if (!problems.empty()) return fail(problems.to_error());
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return fail(ErrorCode::invalid_config, "config file " + path.string() + ": not found");
    return fail(ErrorCode::invalid_config, "config file " + path.string() + ": " + std::system_category().message(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::invalid_config, "config file " + path.string() + ": read error");
  return parse_config(text.str(), path.string());
}

Result<const SwarmConfig*> select_swarm(const Config& config, std::string_view name) {
  std::vector<std::string> names;
  for (const SwarmConfig& swarm : config.swarms) {
    if (swarm.name == name) return &swarm;
    names.push_back(swarm.name);
  }
  if (name.empty() && config.swarms.size() == 1) return &config.swarms.front();
  if (name.empty()) {
    return fail(ErrorCode::invalid_config,
                config.swarms.empty() ? std::string("no swarms configured")
                                      : "several swarms configured, choose one: " + schema::join(names));
  }
  return fail(ErrorCode::invalid_config,
              "no swarm named '" + std::string(name) + "' (configured: " + schema::join(names) + ")");
}

}  // namespace keyd::config
