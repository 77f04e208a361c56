#include "vault_api.hpp"

#include "keyd/common/redact.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keyd::adapters::vault {

namespace {

constexpr std::size_t k_max_error_text = 300;

Secret to_secret(const SecretJson& doc) {
  // Not every string keyd sends is UTF-8 (a caller's name from the tokens file, a --reason): dump()
  // would throw; such bytes become U+FFFD instead (found by tests/fuzz/vault_fuzz).
  const auto text = doc.dump(-1, ' ', false, SecretJson::error_handler_t::replace);
  return Secret(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string str(const SecretJson& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return {};
  const auto& s = it->get_ref<const detail::WipedString&>();
  return std::string(s.begin(), s.end());
}

const SecretJson* object_at(const SecretJson& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? &*it : nullptr;
}

Error malformed(std::string_view what, std::string_view missing) {
  return Error{ErrorCode::unavailable, fmt::format("{}: unexpected response (missing {})", what, missing)};
}

// The "errors" list of an error body, joined and redacted (Vault may echo what keyd sent, fuzz
// finding 8); never longer than k_max_error_text.
std::string errors_text(const Secret& body) {
  const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  std::string out;
  if (doc.is_object()) {
    if (const auto it = doc.find("errors"); it != doc.end() && it->is_array()) {
      for (const auto& e : *it) {
        if (!e.is_string()) continue;
        if (!out.empty()) out += "; ";
        const auto& s = e.get_ref<const detail::WipedString&>();
        out.append(s.begin(), s.end());
      }
    }
  }
  return redact_for_message(out, k_max_error_text);
}

// A soft-deleted or destroyed version answers 404 with a success-shaped body: say which.
std::string deleted_detail(const Secret& body) {
  const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  const SecretJson* data = doc.is_object() ? object_at(doc, "data") : nullptr;
  const SecretJson* meta = data != nullptr ? object_at(*data, "metadata") : nullptr;
  if (meta == nullptr) return {};
  const int version = detail::int_member(*meta, "version", 0);
  if (detail::bool_member(*meta, "destroyed", false)) return fmt::format("version {} was destroyed", version);
  if (const std::string when = str(*meta, "deletion_time"); !when.empty()) {
    return fmt::format("version {} was deleted at {} (vault kv undelete can restore it)", version, when);
  }
  return {};
}

}  // namespace

std::string data_path(std::string_view mount, std::string_view path) { return fmt::format("{}/data/{}", mount, path); }
std::string metadata_path(std::string_view mount, std::string_view path) {
  return fmt::format("{}/metadata/{}", mount, path);
}
std::string login_path(std::string_view auth_mount) { return fmt::format("auth/{}/login", auth_mount); }

Secret write_body(const ports::VersionData& data, int cas) {
  SecretJson doc;
  doc["options"]["cas"] = cas;
  const auto key = data.key_text.reveal_text();
  doc["data"]["swarm.key"] = detail::WipedString(key.begin(), key.end());
  doc["data"]["fingerprint"] = data.fingerprint;
  doc["data"]["issued_by"] = data.issued_by;
  doc["data"]["reason"] = data.reason;
  if (!data.audit_anchor.empty()) doc["data"]["audit_anchor"] = data.audit_anchor;
  return to_secret(doc);
}

Secret managed_by_body() { return Secret::from_text(R"({"custom_metadata":{"managed-by":"keyd"}})"); }

Secret approle_login_body(const Secret& role_id, const Secret& secret_id) {
  SecretJson doc;
  const auto r = role_id.reveal_text();
  const auto s = secret_id.reveal_text();
  doc["role_id"] = detail::WipedString(r.begin(), r.end());
  doc["secret_id"] = detail::WipedString(s.begin(), s.end());
  return to_secret(doc);
}

Secret kubernetes_login_body(std::string_view role, const Secret& jwt) {
  SecretJson doc;
  const auto j = jwt.reveal_text();
  doc["role"] = detail::WipedString(role.begin(), role.end());
  doc["jwt"] = detail::WipedString(j.begin(), j.end());
  return to_secret(doc);
}

Secret renew_body(std::chrono::seconds increment) {
  return Secret::from_text(fmt::format(R"({{"increment":"{}s"}})", increment.count()));
}

Result<SecretJson> parse_json(const Secret& body, std::string_view what) {
  auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::unavailable, fmt::format("{}: the response is not a JSON object", what));
  }
  return doc;
}

Result<ports::StoredVersion> parse_read(const SecretJson& doc, std::string_view what) {
  const SecretJson* outer = object_at(doc, "data");
  if (outer == nullptr) return fail(malformed(what, "data"));
  const SecretJson* meta = object_at(*outer, "metadata");
  const SecretJson* data = object_at(*outer, "data");
  if (meta == nullptr) return fail(malformed(what, "data.metadata"));
  if (data == nullptr) return fail(malformed(what, "data.data"));
  const auto key = data->find("swarm.key");
  if (key == data->end() || !key->is_string()) {
    return fail(ErrorCode::invalid_input, fmt::format("{}: the secret has no \"swarm.key\" field", what));
  }
  ports::StoredVersion out;
  out.info.version = detail::int_member(*meta, "version", 0);
  out.info.created_time = str(*meta, "created_time");
  out.info.deleted = !str(*meta, "deletion_time").empty();
  out.info.destroyed = detail::bool_member(*meta, "destroyed", false);
  const auto& text = key->get_ref<const detail::WipedString&>();
  out.data.key_text = Secret(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  out.data.fingerprint = str(*data, "fingerprint");
  out.data.issued_by = str(*data, "issued_by");
  out.data.reason = str(*data, "reason");
  out.data.audit_anchor = str(*data, "audit_anchor");  // absent in versions written before keyd anchored
  return out;
}

Result<int> parse_write(const SecretJson& doc, std::string_view what) {
  const SecretJson* data = object_at(doc, "data");
  if (data == nullptr || !data->contains("version") || !(*data)["version"].is_number_integer()) {
    return fail(malformed(what, "data.version"));
  }
  return (*data)["version"].get<int>();
}

Result<ports::PathMetadata> parse_metadata(const SecretJson& doc, std::string_view what) {
  const SecretJson* data = object_at(doc, "data");
  if (data == nullptr) return fail(malformed(what, "data"));
  ports::PathMetadata meta;
  meta.current_version = detail::int_member(*data, "current_version", 0);
  meta.oldest_version = detail::int_member(*data, "oldest_version", 0);
  meta.max_versions = detail::int_member(*data, "max_versions", 0);
  meta.created_time = str(*data, "created_time");
  meta.updated_time = str(*data, "updated_time");
  if (const SecretJson* versions = object_at(*data, "versions")) {
    for (const auto& [number, v] : versions->items()) {
      ports::VersionInfo info;
      info.version = std::atoi(std::string(number.begin(), number.end()).c_str());
      if (info.version <= 0 || !v.is_object()) continue;
      info.created_time = str(v, "created_time");
      info.deleted = !str(v, "deletion_time").empty();
      info.destroyed = detail::bool_member(v, "destroyed", false);
      meta.versions.push_back(std::move(info));
    }
  }
  std::ranges::sort(meta.versions, {}, &ports::VersionInfo::version);
  return meta;
}

Result<TokenGrant> parse_login(const SecretJson& doc, std::string_view what) {
  const SecretJson* auth = object_at(doc, "auth");
  if (auth == nullptr) return fail(malformed(what, "auth"));
  const auto token = auth->find("client_token");
  if (token == auth->end() || !token->is_string() || token->empty()) return fail(malformed(what, "auth.client_token"));
  TokenGrant grant;
  const auto& t = token->get_ref<const detail::WipedString&>();
  grant.token = Secret(std::span(reinterpret_cast<const std::uint8_t*>(t.data()), t.size()));
  grant.ttl = std::chrono::seconds{detail::int_member(*auth, "lease_duration", 0)};
  grant.renewable = detail::bool_member(*auth, "renewable", false);
  grant.identity.entity_id = str(*auth, "entity_id");
  if (const SecretJson* meta = object_at(*auth, "metadata")) {
    grant.identity.role = str(*meta, "role");
    if (grant.identity.role.empty()) grant.identity.role = str(*meta, "role_name");  // AppRole
    grant.identity.service_account_namespace = str(*meta, "service_account_namespace");
    grant.identity.service_account_name = str(*meta, "service_account_name");
  }
  return grant;
}

Result<TokenGrant> parse_lookup(const SecretJson& doc, std::string_view what) {
  const SecretJson* data = object_at(doc, "data");
  if (data == nullptr) return fail(malformed(what, "data"));
  TokenGrant grant;
  grant.ttl = std::chrono::seconds{detail::int_member(*data, "ttl", 0)};
  grant.renewable = detail::bool_member(*data, "renewable", false);
  return grant;
}

bool is_retryable_status(int status) { return status == 412 || status == 429 || (status >= 500 && status <= 599); }

Error status_error(std::string_view what, int status, const Secret& body) {
  const std::string errors = errors_text(body);
  const std::string detail = errors.empty() ? "" : " " + errors;
  if (status == 404) {
    const std::string deleted = deleted_detail(body);
    return Error{ErrorCode::not_found, deleted.empty() ? fmt::format("{}: 404 not found{}", what, detail)
                                                       : fmt::format("{}: 404 {}", what, deleted)};
  }
  ErrorCode code = ErrorCode::internal;
  if (status == 400) {
    code = errors.find("check-and-set parameter did not match") != std::string::npos ? ErrorCode::conflict
                                                                                      : ErrorCode::invalid_input;
  } else if (status == 401 || status == 403) {
    code = ErrorCode::unauthorized;
  } else if (is_retryable_status(status)) {
    code = ErrorCode::unavailable;
  }
  return Error{code, fmt::format("{}: {}{}", what, status, detail)};
}

}  // namespace keyd::adapters::vault
