// Table-driven YAML schema helpers for keyd's configuration (private to keyd/config).
// A map section is a table of Field{key, required, parser}; adding a key is one line in a table.
// Parsers never stop at the first problem: they report into Problems and carry on.
#pragma once

#include "keyd/common/result.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::config::schema {

// Every problem found, reported as "<source>:<line>:<column>: <message>" (1-based), in file order.
// One line without control characters, at most about 1024 characters, with runs that could be key material
// replaced by <redacted>: what every problem's message goes through (Problems::add).
[[nodiscard]] std::string fit_for_message(std::string_view text);

class Problems {
 public:
  explicit Problems(std::string source) : m_source(std::move(source)) {}
  void add(const YAML::Mark& mark, std::string message);
  [[nodiscard]] bool empty() const { return m_items.empty(); }
  [[nodiscard]] Error to_error() const;

 private:
  struct Item {
    int line;
    int column;
    std::string text;
  };
  std::string m_source;
  std::vector<Item> m_items;
};

// Where a value sits: its dotted path ("store.file.dir", "swarms[1].name") and its position.
struct Where {
  std::string path;
  YAML::Mark mark;
  [[nodiscard]] std::string prefix() const { return path.empty() ? std::string("top level: ") : path + ": "; }
  [[nodiscard]] Where child(std::string_view key, const YAML::Mark& at) const {
    return Where{path.empty() ? std::string(key) : path + "." + std::string(key), at};
  }
};

template <typename T>
using FieldParser = void (*)(const YAML::Node& value, const Where& where, Problems& problems, T& out);

template <typename T>
struct Field {
  std::string_view key;
  bool required;
  FieldParser<T> parse;
};

// "'text'", "a list", "a map" or "an empty value", for "expected X, got Y".
[[nodiscard]] std::string describe(const YAML::Node& node);
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// A scalar's text, or a reported type error.
[[nodiscard]] std::optional<std::string> scalar(const YAML::Node& node, const Where& where, Problems& problems);
// A non-empty scalar's text.
[[nodiscard]] std::optional<std::string> non_empty_string(const YAML::Node& node, const Where& where, Problems& problems);
// A decimal integer in [min, max].
[[nodiscard]] std::optional<int> integer(const YAML::Node& node, const Where& where, Problems& problems, int min, int max);

// true or false (YAML 1.2 core spellings: true, True, TRUE, false, False, FALSE).
[[nodiscard]] std::optional<bool> boolean(const YAML::Node& node, const Where& where, Problems& problems);
// A Go-style duration ("30s", "1m30s", "250ms"; keyd/common/duration.hpp) in [min, max], whole milliseconds.
[[nodiscard]] std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, const Where& where,
                                                                Problems& problems, std::chrono::milliseconds min,
                                                                std::chrono::milliseconds max);

// One of a fixed set of names; unsupported ones are known but not implemented yet.
struct Choice {
  std::string_view name;
  bool supported;
};
[[nodiscard]] std::optional<std::string> choice(const YAML::Node& node, const Where& where, Problems& problems,
                                                std::span<const Choice> choices, std::string_view noun);

// The enumerator (numbered 0 .. Count-1) whose to_string is `text`; nullopt for none.
template <typename Enum, int Count>
[[nodiscard]] std::optional<Enum> enum_named(std::string_view text) {
  for (int i = 0; i < Count; ++i) {
    if (to_string(static_cast<Enum>(i)) == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// Checks that `node` is a map, reports unknown and duplicate keys and missing required ones, and
// runs each known field's parser. Returns false when `node` is not a map.
bool walk_map(const YAML::Node& node, const Where& where, Problems& problems, std::span<const std::string_view> keys,
              std::span<const bool> required, const std::function<void(std::size_t, const YAML::Node&, const Where&)>& on_field);

template <typename T, std::size_t N>
bool parse_map(const YAML::Node& node, const Where& where, Problems& problems, const std::array<Field<T>, N>& fields,
               T& out) {
  std::array<std::string_view, N> keys{};
  std::array<bool, N> required{};
  for (std::size_t i = 0; i < N; ++i) {
    keys[i] = fields[i].key;
    required[i] = fields[i].required;
  }
  return walk_map(node, where, problems, keys, required,
                  [&](std::size_t i, const YAML::Node& value, const Where& at) { fields[i].parse(value, at, problems, out); });
}

// A list of maps, each parsed with `fields`. Items that are maps are returned with their node and
// index (for messages); the others are reported.
template <typename T>
struct ListItem {
  T value;
  YAML::Node node;
  std::size_t index;
};

template <typename T, std::size_t N>
std::vector<ListItem<T>> parse_list(const YAML::Node& node, const Where& where, Problems& problems,
                                    const std::array<Field<T>, N>& fields) {
  std::vector<ListItem<T>> items;
  if (!node.IsSequence()) {
    problems.add(where.mark, where.prefix() + "expected a list, got " + describe(node));
    return items;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    T value{};
    const Where at{where.path + "[" + std::to_string(index) + "]", item.Mark()};
    if (parse_map(item, at, problems, fields, value)) items.push_back(ListItem<T>{std::move(value), item, index});
    ++index;
  }
  return items;
}

// The class a pointer to member belongs to.
template <typename M>
struct MemberOf;
template <typename C, typename V>
struct MemberOf<V C::*> {
  using type = C;
};
template <auto Member>
using Owner = typename MemberOf<decltype(Member)>::type;

// Generic field parsers for the tables.
template <auto Member>
void string_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (auto text = non_empty_string(value, where, problems)) out.*Member = std::move(*text);
}

template <auto Member, int Min, int Max>
void int_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (auto number = integer(value, where, problems, Min, Max)) out.*Member = *number;
}

// A scalar that may be empty, stored in a std::optional<std::string> (set means "given").
template <auto Member>
void optional_string_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (value.IsNull()) {
    out.*Member = std::string();
  } else if (auto text = scalar(value, where, problems)) {
    out.*Member = std::move(*text);
  }
}

// Stored in a bool or a std::optional<bool>.
template <auto Member>
void bool_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (auto flag = boolean(value, where, problems)) out.*Member = *flag;
}

// Stored in a std::chrono::milliseconds; bounds in milliseconds.
template <auto Member, std::int64_t MinMs, std::int64_t MaxMs>
void duration_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (auto d = duration(value, where, problems, std::chrono::milliseconds{MinMs}, std::chrono::milliseconds{MaxMs})) {
    out.*Member = *d;
  }
}

template <auto Member, const auto& Fields>
void map_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  parse_map(value, where, problems, Fields, out.*Member);
}

}  // namespace keyd::config::schema

namespace keyd::config {
struct StoreConfig;
struct SwarmConfig;
struct Config;
}  // namespace keyd::config

namespace keyd::config::schema {

// Relative and canonical ("a/b"): "" when fine, else what is wrong (no leading '/', no empty, '.'
// or '..' components). For store paths and mount paths.
[[nodiscard]] std::string relative_path_problem(std::string_view path);

// Where `name` sits as a key of `map` (the key, not its value: for "this key does not belong here").
[[nodiscard]] std::optional<YAML::Mark> key_mark(const YAML::Node& map, std::string_view name);

// The store.vault section, with its cross-field rules (vault_schema.cpp).
void parse_vault_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out);

// The store.mcp section: command, env, env_files, inherit_env, mount, timeout (mcp_schema.cpp).
void parse_mcp_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out);

// The store.daemon section: url, token_file, ca_file, timeout, max_attempts (daemon_store_schema.cpp).
void parse_daemon_store_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out);

// swarms[].targets: file and kubernetes targets, with the rules per type (target_schema.cpp).
void parse_targets(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out);

// The top-level kubernetes section: kubeconfig and context (target_schema.cpp).
void parse_kubernetes_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out);

// keyd daemon: the top-level sync_interval, server and leader_election sections,
// swarms[].rotation, swarms[].key_readers and swarms[].operators (daemon_schema.cpp).
void parse_sync_interval(const YAML::Node& value, const Where& where, Problems& problems, Config& out);
void parse_server_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out);
void parse_leader_election_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out);
void parse_rotation(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out);
void parse_key_readers(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out);
void parse_operators(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out);

}  // namespace keyd::config::schema
