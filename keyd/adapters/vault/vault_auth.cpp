// VaultClient's authentication and token lifecycle: a given token (its TTL looked up once the client
// has used it for k_token_lookup_after, so a one-shot command sends no lookup), AppRole or
// Kubernetes login; renew at two thirds of the TTL, log in again when renewal is not possible.
#include "keyd/adapters/os/fs.hpp"
#include "vault_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::vault {

namespace {

// A credential file's content without surrounding whitespace (editors add a final newline).
Result<Secret> read_credential(const std::string& file, std::string_view what) {
  if (file.empty()) return fail(ErrorCode::invalid_config, fmt::format("no file configured for the {}", what));
  auto content = read_secret_file(file);
  if (!content) return fail(content.error().with_context(std::string(what)));
  const auto text = content->reveal_text();
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return fail(ErrorCode::unauthorized, fmt::format("{} file {} is empty", what, file));
  }
  return Secret::from_text(text.substr(first, last - first + 1));
}

}  // namespace

std::string VaultClient::auth_mount() const {
  if (!m_options.auth.mount.empty()) return m_options.auth.mount;
  return std::string(config::to_string(m_options.auth.method));  // "approle" or "kubernetes", Vault's default mounts
}

Status VaultClient::ensure_token(bool force) {
  if (force || m_token.empty())
    return m_options.auth.method == config::VaultAuthMethod::token ? adopt_static_token() : login();
  if (m_lookup_at && m_clock.now() >= *m_lookup_at) KEYD_TRY(look_up_static_token());
  if (m_expires && *m_expires - m_clock.now() < m_ttl / 3) return renew_or_relogin();
  return {};
}

Status VaultClient::adopt_static_token() {
  Secret token;
  if (!m_options.auth.token_file.empty()) {
    KEYD_ASSIGN_OR_RETURN(token, read_credential(m_options.auth.token_file, "Vault token"));
  } else {
    token = m_options.auth.token.clone();
  }
  if (token.empty()) {
    return fail(ErrorCode::unauthorized, "no Vault token: set VAULT_TOKEN or store.vault.auth.token_file");
  }
  m_token = std::move(token);
  m_ttl = std::chrono::seconds{0};
  m_renewable = false;
  m_expires.reset();
  m_lookup_at = m_clock.now() + k_token_lookup_after;
  return {};
}

Status VaultClient::look_up_static_token() {
  m_lookup_at.reset();
  auto looked_up = send_with_retries({"GET", "auth/token/lookup-self", "", {}}, &m_token);
  if (!looked_up) {
    m_token.wipe();
    return fail(looked_up.error().with_context("checking the Vault token"));
  }
  KEYD_ASSIGN_OR_RETURN(auto doc, parse_json(looked_up->body, "vault GET auth/token/lookup-self"));
  KEYD_ASSIGN_OR_RETURN(auto info, parse_lookup(doc, "vault GET auth/token/lookup-self"));
  m_ttl = info.ttl;
  m_renewable = info.renewable;
  m_expires.reset();
  if (m_ttl.count() > 0) m_expires = m_clock.now() + m_ttl;
  spdlog::debug("vault: token accepted (ttl {}s, renewable {})", m_ttl.count(), m_renewable);
  return {};
}

Status VaultClient::login() {
  const auto& auth = m_options.auth;
  Secret body;
  const std::string_view method = config::to_string(auth.method);
  if (auth.method == config::VaultAuthMethod::approle) {
    KEYD_ASSIGN_OR_RETURN(auto role_id, read_credential(auth.role_id_file, "AppRole role_id"));
    KEYD_ASSIGN_OR_RETURN(auto secret_id, read_credential(auth.secret_id_file, "AppRole secret_id"));
    body = approle_login_body(role_id, secret_id);
  } else if (auth.method == config::VaultAuthMethod::kubernetes) {
    if (auth.role.empty()) return fail(ErrorCode::invalid_config, "kubernetes auth needs store.vault.auth.role");
    KEYD_ASSIGN_OR_RETURN(auto jwt, read_credential(auth.jwt_file, "service account token"));
    body = kubernetes_login_body(auth.role, jwt);
  } else {
    return fail(ErrorCode::invalid_config, fmt::format("Vault auth method {} does not log in", method));
  }
  const std::string path = login_path(auth_mount());
  const std::string what = "vault POST " + path;
  auto response = send_with_retries({"POST", path, "", std::move(body)}, nullptr);
  if (!response) {
    // Vault answers a wrong role or credential with 400: for keyd that is refused credentials.
    Error refused = response.error().with_context(fmt::format("{} login", method));
    if (refused.code == ErrorCode::invalid_input) refused.code = ErrorCode::unauthorized;
    return fail(std::move(refused));
  }
  KEYD_ASSIGN_OR_RETURN(auto doc, parse_json(response->body, what));
  KEYD_ASSIGN_OR_RETURN(auto grant, parse_login(doc, what));
  m_token = std::move(grant.token);
  m_ttl = grant.ttl;
  m_renewable = grant.renewable;
  m_expires.reset();
  if (m_ttl.count() > 0) m_expires = m_clock.now() + m_ttl;
  grant.identity.method = method;
  grant.identity.auth_mount = auth_mount();
  spdlog::info("vault: logged in with {} at auth/{} as {} (ttl {}s, renewable {})", method, auth_mount(),
               describe_vault_identity(grant.identity), m_ttl.count(), m_renewable);
  if (auth.on_login) auth.on_login(grant.identity);
  return {};
}

Status VaultClient::renew_or_relogin() {
  if (m_renewable) {
    auto renewed = send_with_retries({"POST", "auth/token/renew-self", "", renew_body(m_ttl)}, &m_token);
    if (renewed) {
      auto doc = parse_json(renewed->body, "vault POST auth/token/renew-self");
      Result<TokenGrant> grant = fail(ErrorCode::unavailable, "no body");
      if (doc) grant = parse_login(*doc, "vault POST auth/token/renew-self");
      if (grant) {
        m_ttl = grant->ttl;
        m_renewable = grant->renewable;
        m_expires = m_clock.now() + m_ttl;
        spdlog::debug("vault: token renewed (ttl {}s)", m_ttl.count());
        return {};
      }
    }
    spdlog::info("vault: token renewal failed ({}); authenticating again",
                 renewed ? "unexpected response" : renewed.error().message);
  }
  if (m_options.auth.method != config::VaultAuthMethod::token) return login();
  // A given token that cannot be renewed: use it until Vault refuses it.
  m_expires.reset();
  return {};
}

}  // namespace keyd::adapters::vault
