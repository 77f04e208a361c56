// keyd's configuration: YAML text parsed by a pure function that reports every problem with
// "<source>:<line>:<column>: <message>". Environment and flags are layered on by the CLI.
#pragma once

#include "keyd/common/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::config {

struct FileStoreConfig {
  std::string dir = ".keyd/store";
  std::string master_key_file;  // empty: <dir>/master.key
  int max_versions = 10;
};

struct StoreConfig {
  std::string backend = "file";  // file (later: vault, mcp)
  FileStoreConfig file;
};

struct AuditConfig {
  std::string file = ".keyd/audit.jsonl";
};

struct TargetConfig {
  std::string type;  // file (later: kubernetes)
  std::string path;  // for type file
};

struct SwarmConfig {
  std::string name;
  std::string path;  // store path; default "<name>/swarm-key"
  std::vector<TargetConfig> targets;
};

struct Config {
  std::string source;  // file name the config came from, for messages
  StoreConfig store;
  AuditConfig audit;
  std::vector<SwarmConfig> swarms;
};

// Parse YAML text. Unknown keys, wrong types, missing required values and invalid values are
// invalid_config errors naming source, line and column (all problems found, one per line).
[[nodiscard]] Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name);

// Read and parse a file. not_found → invalid_config naming the path.
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& path);

// The swarm named `name`, or the only one when name is empty. invalid_config when there is no
// such swarm, or several and no name given (the message lists the names).
[[nodiscard]] Result<const SwarmConfig*> select_swarm(const Config& config, std::string_view name);

}  // namespace keyd::config
