// swarms[].targets (file and kubernetes targets) and the top-level kubernetes section.
#include "keyd/config/config.hpp"
#include "keyd/domain/kube_names.hpp"

#include "schema.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>

namespace keyd::config::schema {
namespace {

constexpr std::array k_target_types{Choice{"file", true}, Choice{"kubernetes", true}};
constexpr std::array k_strategies{Choice{"rolling", true}, Choice{"recreate", true}, Choice{"none", true}};
static_assert(k_target_types.size() == 2 && k_strategies.size() == 3);  // TargetType, RestartStrategy
constexpr std::array k_workload_kinds{Choice{"StatefulSet", true}, Choice{"Deployment", true},
                                      Choice{"DaemonSet", true}};
static_assert(k_workload_kinds.size() == 3);  // WorkloadKind

constexpr std::int64_t k_day_ms = 86'400'000;

// The API server's name rules, one home shared with the kubernetes adapter (keyd/domain/kube_names.hpp).
bool dns_label(std::string_view s) { return domain::is_dns_label(s); }
bool dns_subdomain(std::string_view s) { return domain::is_dns_subdomain(s); }
bool secret_key(std::string_view s) { return domain::is_secret_data_key(s); }

const std::string k_subdomain_rule =
    " (lowercase letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit, at "
    "most 253 characters)";

// A non-empty string that passes `valid`, else "invalid <noun> '<text>'<rule>".
template <auto Member, bool (*Valid)(std::string_view), const char* Noun, const std::string& Rule>
void checked_name(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  if (!Valid(*text)) {
    problems.add(where.mark, where.prefix() + "invalid " + Noun + " '" + *text + "'" + Rule);
    return;
  }
  out.*Member = std::move(*text);
}

constexpr char k_namespace_noun[] = "namespace";
constexpr char k_secret_noun[] = "Secret name";
constexpr char k_key_noun[] = "Secret key";
constexpr char k_workload_noun[] = "workload name";
const std::string k_label_rule =
    " (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
const std::string k_key_rule = " (letters, digits, '-', '_' and '.', not '.' or '..', at most 253 characters)";

template <auto Member, const auto& Choices, const char* Noun>
void choice_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  if (auto name = choice(value, where, problems, Choices, Noun)) out.*Member = std::move(*name);
}

// A choice carried as an enumerator (Choices spell its to_string names).
template <auto Member, const auto& Choices, const char* Noun>
void enum_field(const YAML::Node& value, const Where& where, Problems& problems, Owner<Member>& out) {
  using Enum = std::remove_cvref_t<decltype(out.*Member)>;
  if (auto name = choice(value, where, problems, Choices, Noun)) {
    out.*Member = *enum_named<Enum, static_cast<int>(Choices.size())>(*name);
  }
}

// The type a target item names; nullopt when missing or unknown (reported by the type field).
std::optional<TargetType> named_type(const YAML::Node& item) {
  const YAML::Node type = item["type"];
  if (!type || !type.IsScalar()) return std::nullopt;
  return enum_named<TargetType, static_cast<int>(k_target_types.size())>(type.Scalar());
}

// The workload kind a restart item names; nullopt when missing or unknown (reported by the kind field).
std::optional<WorkloadKind> named_kind(const YAML::Node& item) {
  const YAML::Node kind = item["kind"];
  if (!kind || !kind.IsScalar()) return std::nullopt;
  return enum_named<WorkloadKind, static_cast<int>(k_workload_kinds.size())>(kind.Scalar());
}

constexpr char k_type_noun[] = "target type";
constexpr char k_strategy_noun[] = "strategy";
constexpr char k_kind_noun[] = "workload kind";

constexpr std::array k_restart_fields{
    Field<RestartConfig>{"kind", true, enum_field<&RestartConfig::kind, k_workload_kinds, k_kind_noun>},
    Field<RestartConfig>{"name", true,
                         checked_name<&RestartConfig::name, dns_subdomain, k_workload_noun, k_subdomain_rule>},
};

void parse_restart(const YAML::Node& value, const Where& where, Problems& problems, TargetConfig& out) {
  std::map<std::string, int, std::less<>> first_line;  // "Kind/name" → 1-based line
  for (auto& [workload, node, index] : parse_list(value, where, problems, k_restart_fields)) {
    const YAML::Node& item = node;
    if (!named_kind(item) || workload.name.empty()) continue;  // reported already
    const std::string id = std::string(to_string(workload.kind)) + "/" + workload.name;
    if (const auto [first, inserted] = first_line.emplace(id, item.Mark().line + 1); !inserted) {
      problems.add(item.Mark(), where.path + "[" + std::to_string(index) + "]: duplicate workload " + id +
                                    " (first at line " + std::to_string(first->second) + ")");
      continue;
    }
    out.restart.push_back(std::move(workload));
  }
}

constexpr std::array k_target_fields{
    Field<TargetConfig>{"type", true, enum_field<&TargetConfig::type, k_target_types, k_type_noun>},
    Field<TargetConfig>{"path", false, string_field<&TargetConfig::path>},
    Field<TargetConfig>{"namespace", false,
                        checked_name<&TargetConfig::namespace_name, dns_label, k_namespace_noun, k_label_rule>},
    Field<TargetConfig>{"secret", false,
                        checked_name<&TargetConfig::secret, dns_subdomain, k_secret_noun, k_subdomain_rule>},
    Field<TargetConfig>{"key", false, checked_name<&TargetConfig::key, secret_key, k_key_noun, k_key_rule>},
    Field<TargetConfig>{"adopt", false, bool_field<&TargetConfig::adopt>},
    Field<TargetConfig>{"restart", false, parse_restart},
    Field<TargetConfig>{"strategy", false, enum_field<&TargetConfig::strategy, k_strategies, k_strategy_noun>},
    Field<TargetConfig>{"wait", false, bool_field<&TargetConfig::wait>},
    Field<TargetConfig>{"timeout", false, duration_field<&TargetConfig::timeout, 1, k_day_ms>},
    Field<TargetConfig>{"rollback_on_failure", false, bool_field<&TargetConfig::rollback_on_failure>},
};

// The rules that span several keys of one target. `at` is the target's own path ("swarms[0].targets[1]").
void check_target(const TargetConfig& target, const YAML::Node& item, const std::string& at, Problems& problems) {
  const auto is_kube_key = [](std::string_view key) { return key != "type" && key != "path"; };
  const std::optional<TargetType> type = named_type(item);
  if (type == TargetType::file) {
    if (!item["path"]) problems.add(item.Mark(), at + ".path: required for type file");
    for (const auto& field : k_target_fields) {
      const auto mark = is_kube_key(field.key) ? key_mark(item, field.key) : std::nullopt;
      if (mark) problems.add(*mark, at + "." + std::string(field.key) + ": only for targets of type kubernetes");
    }
    return;
  }
  if (type != TargetType::kubernetes) return;  // an unknown type was reported already
  if (const auto mark = key_mark(item, "path")) problems.add(*mark, at + ".path: only for targets of type file");
  const bool has_secret = key_mark(item, "secret").has_value();
  const YAML::Node restart = item["restart"];
  const bool has_restart = restart && !(restart.IsSequence() && restart.size() == 0);
  if (!has_secret && !has_restart) {
    problems.add(item.Mark(), at + ": a kubernetes target needs a secret, a restart list, or both");
  }
  if (!has_secret) {
    for (std::string_view key : {"key", "adopt"}) {
      if (const auto mark = key_mark(item, key)) {
        problems.add(*mark, at + "." + std::string(key) + ": only used with a secret");
      }
    }
  }
  // With a secret, strategy none and a restart list is a way to pause restarts (the adapter warns).
  if (!has_secret && has_restart && target.strategy == RestartStrategy::none) {
    if (const auto mark = key_mark(item, "strategy")) {
      problems.add(*mark, at + ".strategy: none restarts nothing, and without a secret this target would do nothing");
    }
  }
}

constexpr std::array k_kubernetes_fields{
    Field<KubernetesConfig>{"kubeconfig", false, string_field<&KubernetesConfig::kubeconfig>},
    Field<KubernetesConfig>{"context", false, string_field<&KubernetesConfig::context>},
    Field<KubernetesConfig>{"request_timeout", false, duration_field<&KubernetesConfig::request_timeout, 1, k_day_ms>},
};

}  // namespace

void parse_targets(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  for (auto& [target, node, index] : parse_list(value, where, problems, k_target_fields)) {
    check_target(target, node, where.path + "[" + std::to_string(index) + "]", problems);
    // A target of an unknown type (reported) claims no file: its path is nobody's (config.cpp's check_exclusive).
    if (!named_type(node)) target.path.clear();
    out.targets.push_back(std::move(target));
  }
}

void parse_kubernetes_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  parse_map(value, where, problems, k_kubernetes_fields, out.kubernetes);
}

}  // namespace keyd::config::schema
