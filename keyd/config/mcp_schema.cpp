// store.mcp: the poly-secret-mcp backend's section. The child's environment is declared, never
// inherited wholesale, and secrets come from files: a secret-looking name under `env` is refused.
#include "keyd/config/config.hpp"

#include "schema.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>

namespace keyd::config::schema {
namespace {

constexpr std::array<std::string_view, 4> k_secret_words{"TOKEN", "SECRET", "PASSWORD", "KEY"};

bool valid_env_name(std::string_view name) {
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  return !name.empty() && std::isdigit(static_cast<unsigned char>(name.front())) == 0 &&
         std::ranges::all_of(name, word);
}

bool looks_secret(std::string_view name) {
  std::string upper(name);
  std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return std::ranges::any_of(k_secret_words, [&](std::string_view w) { return upper.find(w) != std::string::npos; });
}

// A list of strings; non-empty items unless allow_empty_items.
std::vector<std::string> string_list(const YAML::Node& value, const Where& where, Problems& problems) {
  std::vector<std::string> out;
  if (!value.IsSequence()) {
    problems.add(where.mark, where.prefix() + "expected a list, got " + describe(value));
    return out;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : value) {
    const Where at{where.path + "[" + std::to_string(index++) + "]", item.Mark()};
    if (auto text = non_empty_string(item, at, problems)) out.push_back(std::move(*text));
  }
  return out;
}

// A map of environment variable names to scalars (in file order), names checked.
std::vector<std::pair<std::string, std::string>> env_map(const YAML::Node& value, const Where& where,
                                                         Problems& problems, bool values_required) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!value.IsMap()) {
    problems.add(where.mark, where.prefix() + "expected a map of variable names to values, got " + describe(value));
    return out;
  }
  for (const auto& entry : value) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    const Where at = where.child(name, entry.first.Mark());
    if (!valid_env_name(name)) {
      problems.add(entry.first.Mark(), where.prefix() + "invalid environment variable name '" + name +
                                           "' (letters, digits and '_', not starting with a digit)");
      continue;
    }
    std::optional<std::string> text;
    if (values_required) {
      text = non_empty_string(entry.second, at, problems);
    } else if (entry.second.IsNull()) {
      text = std::string();
    } else {
      text = scalar(entry.second, at, problems);
    }
    if (text) out.emplace_back(name, std::move(*text));
  }
  return out;
}

void parse_command(const YAML::Node& value, const Where& where, Problems& problems, McpStoreConfig& out) {
  auto argv = string_list(value, where, problems);
  if (value.IsSequence() && value.size() == 0) {
    problems.add(where.mark, where.prefix() + "the command needs at least the program to run");
  }
  out.command = std::move(argv);
}

void parse_env(const YAML::Node& value, const Where& where, Problems& problems, McpStoreConfig& out) {
  out.env = env_map(value, where, problems, false);
  for (const auto& [name, text] : out.env) {
    if (!looks_secret(name)) continue;
    problems.add(*key_mark(value, name), where.path + "." + name +
                                             ": looks like a secret; put it in a file and name the file under "
                                             "store.mcp.env_files (e.g. env_files: {" +
                                             name + ": /etc/keyd/" +
                                             "vault-token}), so it never sits in the configuration");
  }
}

void parse_env_files(const YAML::Node& value, const Where& where, Problems& problems, McpStoreConfig& out) {
  out.env_files = env_map(value, where, problems, true);
}

void parse_inherit_env(const YAML::Node& value, const Where& where, Problems& problems, McpStoreConfig& out) {
  out.inherit_env.clear();
  std::size_t index = 0;
  for (auto& name : string_list(value, where, problems)) {
    if (!valid_env_name(name)) {
      problems.add(value[index].Mark(),
                   where.path + "[" + std::to_string(index) + "]: invalid environment variable name '" + name + "'");
    } else {
      out.inherit_env.push_back(std::move(name));
    }
    ++index;
  }
}

void parse_mount(const YAML::Node& value, const Where& where, Problems& problems, McpStoreConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  if (const auto problem = relative_path_problem(*text); !problem.empty()) {
    problems.add(where.mark, where.prefix() + problem + ", got '" + *text + "'");
    return;
  }
  out.mount = std::move(*text);
}

constexpr std::int64_t k_hour_ms = 3'600'000;

constexpr std::array k_mcp_fields{
    Field<McpStoreConfig>{"command", false, parse_command},
    Field<McpStoreConfig>{"env", false, parse_env},
    Field<McpStoreConfig>{"env_files", false, parse_env_files},
    Field<McpStoreConfig>{"inherit_env", false, parse_inherit_env},
    Field<McpStoreConfig>{"mount", false, parse_mount},
    Field<McpStoreConfig>{"timeout", false, duration_field<&McpStoreConfig::timeout, 10, k_hour_ms>},
};

}  // namespace

void parse_mcp_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out) {
  if (!parse_map(value, where, problems, k_mcp_fields, out.mcp)) return;
  // A variable comes from one place only.
  std::map<std::string, std::string, std::less<>> source;
  const auto claim = [&](const std::string& name, const char* section) {
    const auto [it, inserted] = source.emplace(name, section);
    if (inserted) return;
    const YAML::Node node = value[section];
    problems.add(node ? node.Mark() : where.mark,
                 where.path + "." + section + ": " + name + " is already set by " + where.path + "." + it->second);
  };
  for (const auto& entry : out.mcp.env) claim(entry.first, "env");
  for (const auto& entry : out.mcp.env_files) claim(entry.first, "env_files");
  for (const auto& name : out.mcp.inherit_env) claim(name, "inherit_env");
}

}  // namespace keyd::config::schema
