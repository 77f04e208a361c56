#include "keyd/adapters/vault/vault_backend.hpp"

#include "keyd/adapters/curl/curl_transport.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace keyd::adapters {
namespace {

std::string env_or(const std::string& configured, const EnvLookup& env, std::string_view name) {
  if (!configured.empty()) return configured;
  const auto value = env(name);
  return value ? std::string(*value) : std::string();
}

// Go's strconv.ParseBool, as the Vault CLI reads VAULT_SKIP_VERIFY.
Result<bool> parse_env_bool(std::string_view name, std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (text == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (text == f) return false;
  }
  return fail(ErrorCode::invalid_config,
              std::string(name) + ": expected true or false, got '" + std::string(text) + "'");
}

Status resolve_token(const config::VaultAuthConfig& auth, const EnvLookup& env, VaultAuthOptions& out) {
  if (auth.method != config::VaultAuthMethod::token) return {};
  if (!auth.token_file.empty()) {
    out.token_file = auth.token_file;
    KEYD_ASSIGN_OR_RETURN(out.token, read_credential_file(auth.token_file, "store.vault.auth.token_file"));
    return {};
  }
  const auto from_env = env("VAULT_TOKEN");
  if (!from_env || from_env->empty()) {
    return fail(ErrorCode::invalid_config,
                "no Vault token: set store.vault.auth.token_file or VAULT_TOKEN (or use auth method approle or "
                "kubernetes)");
  }
  KEYD_ASSIGN_OR_RETURN(out.token, checked_credential(Secret::from_text(*from_env), "VAULT_TOKEN"));
  return {};
}

Status layer_tls(const config::VaultTlsConfig& cfg, const EnvLookup& env, ports::TlsOptions& out) {
  out.ca_file = env_or(cfg.ca_file, env, "VAULT_CACERT");
  out.client_cert_file = env_or(cfg.client_cert_file, env, "VAULT_CLIENT_CERT");
  out.client_key_file = env_or(cfg.client_key_file, env, "VAULT_CLIENT_KEY");
  out.server_name = env_or(cfg.server_name, env, "VAULT_TLS_SERVER_NAME");
  if (cfg.insecure_skip_verify) {
    out.insecure_skip_verify = *cfg.insecure_skip_verify;
  } else if (const auto skip = env("VAULT_SKIP_VERIFY"); skip && !skip->empty()) {
    KEYD_ASSIGN_OR_RETURN(out.insecure_skip_verify, parse_env_bool("VAULT_SKIP_VERIFY", *skip));
  }
  return {};
}

}  // namespace

Result<VaultBackendOptions> vault_backend_options(const config::VaultStoreConfig& cfg, const EnvLookup& env) {
  VaultBackendOptions s;
  VaultOptions& o = s.store;
  o.address = env_or(cfg.address, env, "VAULT_ADDR");
  while (o.address.ends_with('/')) o.address.pop_back();
  if (o.address.empty()) {
    return fail(ErrorCode::invalid_config, "store.vault.address is not set and VAULT_ADDR is empty");
  }
  o.mount = cfg.mount;
  o.namespace_name = cfg.namespace_name ? *cfg.namespace_name : env_or({}, env, "VAULT_NAMESPACE");
  o.request_timeout = cfg.timeout;
  o.connect_timeout = cfg.connect_timeout;
  o.max_attempts = cfg.max_attempts;

  o.auth.method = cfg.auth.method;
  o.auth.role_id_file = cfg.auth.role_id_file;
  o.auth.secret_id_file = cfg.auth.secret_id_file;
  o.auth.role = cfg.auth.role;
  o.auth.jwt_file = cfg.auth.jwt_file;
  o.auth.mount = cfg.auth.mount;
  KEYD_TRY(resolve_token(cfg.auth, env, o.auth));
  KEYD_TRY(layer_tls(cfg.tls, env, s.tls));
  s.allow_insecure_http = cfg.allow_insecure_http;
  return s;
}

Result<BuiltStore> make_vault_backend(const config::VaultStoreConfig& cfg, const EnvLookup& env,
                                      const ports::Clock& clock, ports::Random& random, const LoginObserver& observer) {
  KEYD_ASSIGN_OR_RETURN(VaultBackendOptions options, vault_backend_options(cfg, env));
  if (observer) {
    options.store.auth.on_login = [observer](const VaultIdentity& identity) {
      observer(describe_vault_identity(identity));
    };
  }
  KEYD_TRY(check_vault_address(options.store.address, options.allow_insecure_http));
  spdlog::debug("vault {} mount {}{}, auth {}, tls ca {}{}", options.store.address, options.store.mount,
                options.store.namespace_name.empty() ? "" : ", namespace " + options.store.namespace_name,
                config::to_string(options.store.auth.method),
                options.tls.ca_file.empty() ? "(system)" : options.tls.ca_file,
                options.tls.client_cert_file.empty() ? "" : ", client certificate " + options.tls.client_cert_file);
  BuiltStore built;
  KEYD_ASSIGN_OR_RETURN(built.transport, make_curl_transport(std::move(options.tls)));
  KEYD_ASSIGN_OR_RETURN(built.store, make_vault_store(std::move(options.store), *built.transport, clock, random));
  return built;
}

}  // namespace keyd::adapters
