// `keyd bundle` values: the schema tables (one per section) and parse/load. The key-material scan
// and the shape checks of single values are in bundle_values_key_material.cpp and
// bundle_values_checks.cpp.
#include "keyd/config/bundle_values.hpp"

#include "bundle_values_checks.hpp"
#include "keyd/domain/schedule.hpp"
#include "schema.hpp"
#include "yaml_text.hpp"

#include <array>

namespace keyd::config {

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the shape checks the tables name
using schema::Field;
using schema::Problems;
using schema::Where;

// A non-empty string that must match a check; `what` names the expected shape.
template <auto Member>
void checked(const YAML::Node& value, const Where& where, Problems& problems, schema::Owner<Member>& out,
             bool (*check)(const std::string&), std::string_view what) {
  auto text = schema::non_empty_string(value, where, problems);
  if (!text) return;
  if (!check(*text)) {
    problems.add(where.mark, where.prefix() + "expected " + std::string(what) + ", got '" + *text + "'");
    return;
  }
  out.*Member = std::move(*text);
}

constexpr std::string_view k_label_text = "a lowercase RFC 1123 label of at most 40 characters";

#define KEYD_CHECKED(member, check, what)                                          \
  [](const YAML::Node& v, const Where& w, Problems& p, schema::Owner<member>& o) { \
    checked<member>(v, w, p, o, check, what);                                      \
  }

// A quantity that may be empty (leaves the field out).
template <auto Member>
void quantity_field(const YAML::Node& value, const Where& where, Problems& problems, schema::Owner<Member>& out) {
  if (value.IsNull()) {
    out.*Member = std::string();
    return;
  }
  auto text = schema::scalar(value, where, problems);
  if (!text) return;
  if (!text->empty() && !is_quantity(*text)) {
    problems.add(where.mark,
                 where.prefix() + "expected a Kubernetes quantity such as 250m, 1, 512Mi or 10Gi, got '" + *text + "'");
    return;
  }
  out.*Member = std::move(*text);
}

// ------------------------------------------------------------------ tables
void parse_routing(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  static constexpr std::array<schema::Choice, 4> k_choices{
      {{"none", true}, {"dht", true}, {"dhtclient", true}, {"dhtserver", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "routing type")) out.routing = *text;
}

inline constexpr std::array k_quantity_fields{
    Field<BundleQuantities>{"cpu", false, quantity_field<&BundleQuantities::cpu>},
    Field<BundleQuantities>{"memory", false, quantity_field<&BundleQuantities::memory>},
};
inline constexpr std::array k_resources_fields{
    Field<BundleResources>{"requests", false, schema::map_field<&BundleResources::requests, k_quantity_fields>},
    Field<BundleResources>{"limits", false, schema::map_field<&BundleResources::limits, k_quantity_fields>},
};

void parse_storage(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  static constexpr std::array k_fields{
      Field<BundleIpfs>{"size", false,
                        KEYD_CHECKED(&BundleIpfs::storage_size, is_quantity, "a Kubernetes quantity such as 10Gi")},
      Field<BundleIpfs>{"class", false, schema::optional_string_field<&BundleIpfs::storage_class>},
  };
  schema::parse_map(value, where, problems, k_fields, out);
  if (!out.storage_class.empty() && !is_dns_subdomain(out.storage_class)) {
    problems.add(where.mark, where.prefix() + "class: expected a StorageClass name, got '" + out.storage_class + "'");
  }
}

void parse_resources(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  schema::parse_map(value, where, problems, k_resources_fields, out.resources);
}

inline constexpr std::array k_ipfs_fields{
    Field<BundleIpfs>{
        "image", false,
        KEYD_CHECKED(&BundleIpfs::image, is_image, "a pinned image (name:tag, not latest, or name@sha256:…)")},
    Field<BundleIpfs>{"replicas", false, schema::int_field<&BundleIpfs::replicas, 1, 100>},
    Field<BundleIpfs>{"storage", false, parse_storage},
    Field<BundleIpfs>{"resources", false, parse_resources},
    Field<BundleIpfs>{"bootstrap", false, parse_bootstrap},
    Field<BundleIpfs>{"swarm_addresses", false, parse_swarm_addresses},
    Field<BundleIpfs>{"api_address", false, parse_api_address},
    Field<BundleIpfs>{"gateway_address", false, parse_gateway_address},
    Field<BundleIpfs>{"routing", false, parse_routing},
};

inline constexpr std::array k_zerotier_fields{
    Field<BundleZeroTier>{"network_id", false, parse_network_id},
    Field<BundleZeroTier>{"host_network", false, schema::bool_field<&BundleZeroTier::host_network>},
    Field<BundleZeroTier>{"node_selector", false, parse_node_selector},
};

void parse_delivery_mode(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyDelivery& out) {
  static constexpr std::array<schema::Choice, 2> k_choices{{{"secret", true}, {"agent", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "key delivery")) out.mode = *text;
}

void parse_agent_address(const YAML::Node& value, const Where& where, Problems& problems, BundleAgent& out) {
  if (auto text = optional_checked(value, where, problems, is_https_url, "an https:// URL")) out.vault_address = *text;
}

inline constexpr std::array k_agent_fields{
    Field<BundleAgent>{"vault_address", false, parse_agent_address},
    Field<BundleAgent>{"auth_mount", false,
                       KEYD_CHECKED(&BundleAgent::auth_mount, is_relative_path, "a relative path such as kubernetes")},
    Field<BundleAgent>{"role", false, KEYD_CHECKED(&BundleAgent::role, is_name_token, "a Vault role name")},
    Field<BundleAgent>{"audience", false, KEYD_CHECKED(&BundleAgent::audience, is_name_token, "a token audience")},
};

inline constexpr std::array k_delivery_fields{
    Field<BundleKeyDelivery>{"mode", false, parse_delivery_mode},
    Field<BundleKeyDelivery>{"secret", false,
                             KEYD_CHECKED(&BundleKeyDelivery::secret, is_dns_subdomain, "a Secret name")},
    Field<BundleKeyDelivery>{
        "key", false, KEYD_CHECKED(&BundleKeyDelivery::key, is_secret_key, "a Secret data key ([-._a-zA-Z0-9]+)")},
    Field<BundleKeyDelivery>{"agent", false, schema::map_field<&BundleKeyDelivery::agent, k_agent_fields>},
};

void parse_auth_method(const YAML::Node& value, const Where& where, Problems& problems, BundleVault& out) {
  static constexpr std::array<schema::Choice, 3> k_choices{{{"kubernetes", true}, {"approle", true}, {"token", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "auth method")) {
    out.auth_method = *schema::enum_named<VaultAuthMethod, 3>(*text);
  }
}

inline constexpr std::array k_vault_fields{
    Field<BundleVault>{"address", false, KEYD_CHECKED(&BundleVault::address, is_https_url, "an https:// URL")},
    Field<BundleVault>{"mount", false,
                       KEYD_CHECKED(&BundleVault::mount, is_relative_path, "a relative path such as secret")},
    Field<BundleVault>{"auth_method", false, parse_auth_method},
    Field<BundleVault>{"role", false, schema::optional_string_field<&BundleVault::role>},
    Field<BundleVault>{"credentials_secret", false, schema::optional_string_field<&BundleVault::credentials_secret>},
    Field<BundleVault>{"ca_secret", false, schema::optional_string_field<&BundleVault::ca_secret>},
};

void parse_vault(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  BundleVault& v = out.vault;
  if (!schema::parse_map(value, where, problems, k_vault_fields, v)) return;
  const auto at = [&](std::string_view key) { return schema::key_mark(value, key).value_or(where.mark); };
  for (const auto& [key, name] :
       {std::pair{"credentials_secret", &v.credentials_secret}, std::pair{"ca_secret", &v.ca_secret}}) {
    if (!name->empty() && !is_dns_subdomain(*name)) {
      problems.add(at(key), where.child(key, where.mark).prefix() + "expected a Secret name, got '" + *name + "'");
    }
  }
  if (v.auth_method == VaultAuthMethod::kubernetes) {
    if (v.role.empty())
      problems.add(at("role"), where.child("role", where.mark).prefix() + "required with auth_method kubernetes");
    if (!v.credentials_secret.empty()) {
      problems.add(at("credentials_secret"),
                   where.child("credentials_secret", where.mark).prefix() +
                       "only for auth_method approle or token (kubernetes uses keyd's service account)");
    }
  } else if (v.credentials_secret.empty()) {
    problems.add(at("credentials_secret"),
                 where.child("credentials_secret", where.mark).prefix() + "required with auth_method " +
                     std::string(to_string(v.auth_method)) + " (the name of a Secret holding " +
                     (v.auth_method == VaultAuthMethod::approle ? "role-id and secret-id" : "token") + ")");
  }
}

void parse_keyd_mode(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  static constexpr std::array<schema::Choice, 2> k_choices{{{"cronjob", true}, {"daemon", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "keyd mode")) out.mode = *text;
}

void parse_strategy(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  static constexpr std::array<schema::Choice, 3> k_choices{{{"rolling", true}, {"recreate", true}, {"none", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "strategy")) out.strategy = *text;
}

// A duration kept as its text (validated) for rendering.
template <auto Member, std::int64_t MinMs, std::int64_t MaxMs>
void duration_text(const YAML::Node& value, const Where& where, Problems& problems, schema::Owner<Member>& out) {
  if (schema::duration(value, where, problems, std::chrono::milliseconds{MinMs}, std::chrono::milliseconds{MaxMs}))
    out.*Member = value.Scalar();
}

void parse_window(const YAML::Node& value, const Where& where, Problems& problems, BundleDaemon& out) {
  if (value.IsNull()) return;
  auto text = schema::scalar(value, where, problems);
  if (!text || text->empty()) return;
  if (auto window = domain::RotationWindow::parse(*text); !window) {
    problems.add(where.mark, where.prefix() + window.error().message);
    return;
  }
  out.window = std::move(*text);
}

constexpr std::int64_t k_hour_ms = 3'600'000;
inline constexpr std::array k_daemon_fields{
    Field<BundleDaemon>{"sync_interval", false, duration_text<&BundleDaemon::sync_interval, 1'000, 24 * k_hour_ms>},
    Field<BundleDaemon>{"max_age", false, duration_text<&BundleDaemon::max_age, k_hour_ms, 10 * 366 * 24 * k_hour_ms>},
    Field<BundleDaemon>{"window", false, parse_window},
    Field<BundleDaemon>{"service_monitor", false, schema::bool_field<&BundleDaemon::service_monitor>},
    Field<BundleDaemon>{"replicas", false, schema::int_field<&BundleDaemon::replicas, 1, 5>},
};

inline constexpr std::array k_keyd_fields{
    Field<BundleKeyd>{
        "image", false,
        KEYD_CHECKED(&BundleKeyd::image, is_image, "a pinned image (name:tag, not latest, or name@sha256:…)")},
    Field<BundleKeyd>{"mode", false, parse_keyd_mode},
    Field<BundleKeyd>{"schedule", false,
                      KEYD_CHECKED(&BundleKeyd::schedule, is_cron, "a 5-field cron schedule or @daily, @weekly, …")},
    Field<BundleKeyd>{"swarm", false, KEYD_CHECKED(&BundleKeyd::swarm, is_dns_label, "a lowercase RFC 1123 label")},
    Field<BundleKeyd>{
        "path", false,
        KEYD_CHECKED(&BundleKeyd::path, is_relative_path, "a relative store path such as ipfs-overlay/swarm-key")},
    Field<BundleKeyd>{"strategy", false, parse_strategy},
    Field<BundleKeyd>{"rollout_timeout", false, duration_text<&BundleKeyd::rollout_timeout, 1'000, 24 * k_hour_ms>},
    Field<BundleKeyd>{"audit_storage", false,
                      KEYD_CHECKED(&BundleKeyd::audit_storage, is_quantity, "a Kubernetes quantity such as 1Gi")},
    Field<BundleKeyd>{"vault", false, parse_vault},
    Field<BundleKeyd>{"daemon", false, schema::map_field<&BundleKeyd::daemon, k_daemon_fields>},
};

inline constexpr std::array k_policy_fields{
    Field<BundleNetworkPolicy>{"enabled", false, schema::bool_field<&BundleNetworkPolicy::enabled>},
    Field<BundleNetworkPolicy>{"swarm_cidrs", false, parse_swarm_cidrs},
    Field<BundleNetworkPolicy>{"api_clients", false, parse_api_clients},
};

inline constexpr std::array k_values_fields{
    Field<BundleValues>{"namespace", false,
                        KEYD_CHECKED(&BundleValues::namespace_name, is_dns_label, "a lowercase RFC 1123 label")},
    Field<BundleValues>{"name", false, KEYD_CHECKED(&BundleValues::name, is_dns_label_40, k_label_text)},
    Field<BundleValues>{"version", false,
                        KEYD_CHECKED(&BundleValues::version, is_version, "a semantic version such as 1.0.0")},
    Field<BundleValues>{"ipfs", false, schema::map_field<&BundleValues::ipfs, k_ipfs_fields>},
    Field<BundleValues>{"zerotier", false, schema::map_field<&BundleValues::zerotier, k_zerotier_fields>},
    Field<BundleValues>{"key_delivery", false, schema::map_field<&BundleValues::key_delivery, k_delivery_fields>},
    Field<BundleValues>{"keyd", false, schema::map_field<&BundleValues::keyd, k_keyd_fields>},
    Field<BundleValues>{"network_policy", false, schema::map_field<&BundleValues::network_policy, k_policy_fields>},
};

#undef KEYD_CHECKED

}  // namespace

Result<BundleValues> parse_bundle_values(std::string_view yaml_text, std::string_view source_name) {
  Problems problems{std::string(source_name)};
  std::vector<YAML::Node> documents;
  if (!yaml_text::load_documents(yaml_text, problems, documents)) return fail(problems.to_error());
  BundleValues values;
  values.source = std::string(source_name);
  if (documents.empty() || documents.front().IsNull()) return values;
  for (const auto& document : documents) scan_for_key_material(document, "", problems);
  if (!problems.empty()) return fail(problems.to_error());  // before any message could quote a value
  if (documents.size() > 1) {
    problems.add(documents[1].Mark(), "expected one YAML document, found " + std::to_string(documents.size()));
  }
  const YAML::Node& root = documents.front();
  schema::parse_map(root, Where{"", root.Mark()}, problems, k_values_fields, values);
  if (problems.empty() && root.IsMap()) check_ports(root, values, problems);
  if (!problems.empty()) return fail(problems.to_error());
  return values;
}

Result<BundleValues> load_bundle_values(const std::filesystem::path& path) {
  KEYD_ASSIGN_OR_RETURN(const std::string text, yaml_text::read_file(path, "values file"));
  return parse_bundle_values(text, path.string());
}

}  // namespace keyd::config
