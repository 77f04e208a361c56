// The SecretStore port over Vault KV v2.
#include "keyd/adapters/vault/vault_store.hpp"

#include "keyd/common/address.hpp"
#include "vault_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace keyd::adapters {

namespace {

using vault::Call;

class VaultStore final : public ports::SecretStore {
 public:
  VaultStore(VaultOptions options, ports::HttpTransport& transport, const ports::Clock& clock, ports::Random& random)
      : m_client(std::move(options), transport, clock, random) {}

  [[nodiscard]] std::string describe() const override {
    return fmt::format("vault {} mount {}", m_client.options().address, m_client.options().mount);
  }

  // The client's token lifecycle is behind a mutex and the transport gives each call its own handle.
  [[nodiscard]] ports::StoreCapabilities capabilities() const override {
    ports::StoreCapabilities caps;
    caps.concurrent = true;
    return caps;
  }

  Result<ports::PathMetadata> metadata(std::string_view path) override {
    const Call call{"GET", vault::metadata_path(mount(), path), "", {}};
    KEYD_ASSIGN_OR_RETURN(auto doc, m_client.call_json(call));
    return vault::parse_metadata(doc, "vault GET " + call.path);
  }

  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    const Call call{"GET", vault::data_path(mount(), path), version ? fmt::format("version={}", *version) : "", {}};
    KEYD_ASSIGN_OR_RETURN(auto doc, m_client.call_json(call));
    return vault::parse_read(doc, "vault GET " + call.path);
  }

  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    const Call call{"POST", vault::data_path(mount(), path), "", vault::write_body(data, cas)};
    KEYD_ASSIGN_OR_RETURN(auto doc, m_client.call_json(call));
    KEYD_ASSIGN_OR_RETURN(const int version, vault::parse_write(doc, "vault POST " + call.path));
    if (cas == 0) mark_managed(path);
    return version;
  }

 private:
  [[nodiscard]] const std::string& mount() const { return m_client.options().mount; }

  // Key-level custom_metadata says keyd manages the path. Best effort: the version is written
  // already, so a policy without metadata update only costs the marker, with a warning.
  void mark_managed(std::string_view path) {
    const Call call{"POST", vault::metadata_path(mount(), path), "", vault::managed_by_body()};
    if (auto marked = m_client.call(call); !marked) {
      spdlog::warn("{} (the key is stored; only the managed-by marker is missing)", marked.error().message);
    }
  }

  vault::VaultClient m_client;
};

}  // namespace

std::string describe_vault_identity(const VaultIdentity& identity) {
  std::string out = "vault:" + (identity.auth_mount.empty() ? identity.method : identity.auth_mount);
  if (!identity.role.empty()) out += "/" + identity.role;
  if (!identity.service_account_name.empty()) {
    out += fmt::format(" sa={}/{}", identity.service_account_namespace, identity.service_account_name);
  }
  if (!identity.entity_id.empty()) out += " entity=" + identity.entity_id;
  return out;
}

Status check_vault_address(std::string_view address, bool allow_insecure_http) {
  if (address.starts_with("https://")) return {};
  if (!address.starts_with("http://")) {
    return fail(ErrorCode::invalid_config,
                fmt::format("Vault address '{}' must start with https:// (or http:// for loopback)", address));
  }
  if (is_loopback_url(address) || allow_insecure_http) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("Vault address '{}' uses plain http to a non-loopback host, which would send tokens and "
                          "keys unencrypted; use https:// or set store.vault.allow_insecure_http: true",
                          address));
}

Result<std::unique_ptr<ports::SecretStore>> make_vault_store(VaultOptions options, ports::HttpTransport& transport,
                                                             const ports::Clock& clock, ports::Random& random) {
  if (options.address.empty()) return fail(ErrorCode::invalid_config, "no Vault address configured");
  while (options.address.ends_with('/')) options.address.pop_back();
  if (options.mount.empty()) return fail(ErrorCode::invalid_config, "no Vault KV mount configured");
  if (options.max_attempts < 1) options.max_attempts = 1;
  return std::make_unique<VaultStore>(std::move(options), transport, clock, random);
}

}  // namespace keyd::adapters
