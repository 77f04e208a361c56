// store.vault: the Vault KV v2 backend's section, with the rules that span several keys.
#include "keyd/config/config.hpp"

#include "schema.hpp"

#include <cstdint>
#include <optional>

namespace keyd::config::schema {
namespace {

constexpr std::array k_auth_methods{Choice{"token", true}, Choice{"approle", true}, Choice{"kubernetes", true}};
static_assert(k_auth_methods.size() == 3);  // VaultAuthMethod, in its order

void parse_method(const YAML::Node& value, const Where& where, Problems& problems, VaultAuthConfig& out) {
  if (auto name = choice(value, where, problems, k_auth_methods, "auth method")) {
    out.method = *enum_named<VaultAuthMethod, static_cast<int>(k_auth_methods.size())>(*name);
  }
}

void parse_address(const YAML::Node& value, const Where& where, Problems& problems, VaultStoreConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  const bool http = text->starts_with("http://");
  const std::size_t host_at = http ? 7 : 8;
  if ((!http && !text->starts_with("https://")) || text->size() <= host_at || (*text)[host_at] == '/') {
    problems.add(where.mark, where.prefix() + "expected an https:// (or http://) URL, got '" + *text + "'");
    return;
  }
  out.address = std::move(*text);
}

void parse_mount(const YAML::Node& value, const Where& where, Problems& problems, VaultStoreConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  if (const auto problem = relative_path_problem(*text); !problem.empty()) {
    problems.add(where.mark, where.prefix() + problem + ", got '" + *text + "'");
    return;
  }
  out.mount = std::move(*text);
}

constexpr std::array k_auth_fields{
    Field<VaultAuthConfig>{"method", false, parse_method},
    Field<VaultAuthConfig>{"token_file", false, string_field<&VaultAuthConfig::token_file>},
    Field<VaultAuthConfig>{"role_id_file", false, string_field<&VaultAuthConfig::role_id_file>},
    Field<VaultAuthConfig>{"secret_id_file", false, string_field<&VaultAuthConfig::secret_id_file>},
    Field<VaultAuthConfig>{"role", false, string_field<&VaultAuthConfig::role>},
    Field<VaultAuthConfig>{"jwt_file", false, string_field<&VaultAuthConfig::jwt_file>},
    Field<VaultAuthConfig>{"mount", false, string_field<&VaultAuthConfig::mount>},
};

// Which auth keys belong to which method; a key of another method is a mistake worth reporting.
enum MethodBit : std::uint8_t { k_token = 1, k_approle = 2, k_kubernetes = 4 };
struct MethodKey {
  std::string_view key;
  std::uint8_t methods;   // the methods that use it
  std::uint8_t required;  // the methods that need it
};
constexpr std::array k_method_keys{
    MethodKey{"token_file", k_token, 0},
    MethodKey{"role_id_file", k_approle, k_approle},
    MethodKey{"secret_id_file", k_approle, k_approle},
    MethodKey{"role", k_kubernetes, k_kubernetes},
    MethodKey{"jwt_file", k_kubernetes, 0},
    MethodKey{"mount", k_approle | k_kubernetes, 0},
};

std::uint8_t method_bit(VaultAuthMethod method) {
  switch (method) {
    case VaultAuthMethod::approle:
      return k_approle;
    case VaultAuthMethod::kubernetes:
      return k_kubernetes;
    case VaultAuthMethod::token:
      break;
  }
  return k_token;
}

void parse_auth(const YAML::Node& value, const Where& where, Problems& problems, VaultStoreConfig& out) {
  if (!parse_map(value, where, problems, k_auth_fields, out.auth)) return;
  // An unknown method was reported already; checking keys against the default would only add noise.
  const YAML::Node method = value["method"];
  const std::string method_name(to_string(out.auth.method));
  if (method && (!method.IsScalar() || method.Scalar() != method_name)) return;
  const std::uint8_t bit = method_bit(out.auth.method);
  for (const MethodKey& k : k_method_keys) {
    const auto at = key_mark(value, k.key);
    const std::string path = where.path + "." + std::string(k.key);
    if (at && (k.methods & bit) == 0) {
      problems.add(*at, path + ": not used by auth method " + method_name);
    } else if (!at && (k.required & bit) != 0) {
      problems.add(where.mark, path + ": required for auth method " + method_name);
    }
  }
}

constexpr std::array k_tls_fields{
    Field<VaultTlsConfig>{"ca_file", false, string_field<&VaultTlsConfig::ca_file>},
    Field<VaultTlsConfig>{"client_cert_file", false, string_field<&VaultTlsConfig::client_cert_file>},
    Field<VaultTlsConfig>{"client_key_file", false, string_field<&VaultTlsConfig::client_key_file>},
    Field<VaultTlsConfig>{"server_name", false, string_field<&VaultTlsConfig::server_name>},
    Field<VaultTlsConfig>{"insecure_skip_verify", false, bool_field<&VaultTlsConfig::insecure_skip_verify>},
};

void parse_tls(const YAML::Node& value, const Where& where, Problems& problems, VaultStoreConfig& out) {
  if (!parse_map(value, where, problems, k_tls_fields, out.tls)) return;
  // A client key alone is useless; a certificate alone may hold its key too (one PEM file).
  const auto key = key_mark(value, "client_key_file");
  if (key && !key_mark(value, "client_cert_file")) {
    problems.add(*key, where.path + ".client_key_file: requires client_cert_file");
  }
}

constexpr std::int64_t k_hour_ms = 3'600'000;

constexpr std::array k_vault_fields{
    Field<VaultStoreConfig>{"address", false, parse_address},
    Field<VaultStoreConfig>{"mount", false, parse_mount},
    Field<VaultStoreConfig>{"namespace", false, optional_string_field<&VaultStoreConfig::namespace_name>},
    Field<VaultStoreConfig>{"allow_insecure_http", false, bool_field<&VaultStoreConfig::allow_insecure_http>},
    Field<VaultStoreConfig>{"timeout", false, duration_field<&VaultStoreConfig::timeout, 1, k_hour_ms>},
    Field<VaultStoreConfig>{"connect_timeout", false, duration_field<&VaultStoreConfig::connect_timeout, 1, k_hour_ms>},
    Field<VaultStoreConfig>{"max_attempts", false, int_field<&VaultStoreConfig::max_attempts, 1, 10>},
    Field<VaultStoreConfig>{"auth", false, parse_auth},
    Field<VaultStoreConfig>{"tls", false, parse_tls},
};

}  // namespace

void parse_vault_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out) {
  parse_map(value, where, problems, k_vault_fields, out.vault);
}

}  // namespace keyd::config::schema
