#include "vault_env.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace keyd::cli {
namespace {

constexpr std::size_t k_max_credential_size = 64 * 1024;

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// The bytes without surrounding whitespace, as a new Secret (the old one wipes itself).
Secret trimmed(const Secret& raw) {
  auto bytes = raw.bytes();
  while (!bytes.empty() && is_space(bytes.front())) bytes = bytes.subspan(1);
  while (!bytes.empty() && is_space(bytes.back())) bytes = bytes.first(bytes.size() - 1);
  return Secret(bytes);
}

// A credential goes into an HTTP header or a JSON string: visible ASCII only, so a stray line
// break or control character fails here, clearly, instead of as a confusing 400 or a header
// injection.
bool printable(const Secret& value) {
  for (const std::uint8_t c : value.bytes()) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Result<Secret> checked_credential(Secret raw, std::string_view what) {
  Secret value = trimmed(raw);
  if (value.empty()) return fail(ErrorCode::invalid_config, std::string(what) + " is empty");
  if (!printable(value)) {
    return fail(ErrorCode::invalid_config,
                std::string(what) + " must hold one value of printable ASCII characters (found spaces, line breaks "
                                    "or control characters inside it)");
  }
  return value;
}

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

Status resolve_token(const config::VaultAuthConfig& auth, const EnvLookup& env, adapters::VaultAuthOptions& out) {
  if (auth.method != "token") return {};
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

}  // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string_view> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string_view(value);
  };
}

Result<Secret> read_credential_file(const std::filesystem::path& path, std::string_view what) {
  const std::string named = std::string(what) + " " + path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(ErrorCode::invalid_config, named + ": " + (err == ENOENT ? std::string("not found") : std::strerror(err)));
  }
  Secret raw;
  raw.resize(k_max_credential_size + 1);
  std::size_t used = 0;
  int err = 0;
  while (used < raw.size()) {
    const ssize_t n = ::read(fd, raw.mutable_bytes().data() + used, raw.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (err != 0) return fail(ErrorCode::invalid_config, named + ": " + std::strerror(err));
  if (used > k_max_credential_size) return fail(ErrorCode::invalid_config, named + ": larger than 64 KiB");
  raw.resize(used);
  return checked_credential(std::move(raw), named);
}

Result<VaultSettings> vault_settings(const config::VaultStoreConfig& cfg, const EnvLookup& env) {
  VaultSettings s;
  adapters::VaultOptions& o = s.options;
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

  s.tls.ca_file = env_or(cfg.tls.ca_file, env, "VAULT_CACERT");
  s.tls.client_cert_file = env_or(cfg.tls.client_cert_file, env, "VAULT_CLIENT_CERT");
  s.tls.client_key_file = env_or(cfg.tls.client_key_file, env, "VAULT_CLIENT_KEY");
  s.tls.server_name = env_or(cfg.tls.server_name, env, "VAULT_TLS_SERVER_NAME");
  if (cfg.tls.insecure_skip_verify) {
    s.tls.insecure_skip_verify = *cfg.tls.insecure_skip_verify;
  } else if (const auto skip = env("VAULT_SKIP_VERIFY"); skip && !skip->empty()) {
    KEYD_ASSIGN_OR_RETURN(s.tls.insecure_skip_verify, parse_env_bool("VAULT_SKIP_VERIFY", *skip));
  }
  s.allow_insecure_http = cfg.allow_insecure_http;
  return s;
}

}  // namespace keyd::cli
