// store.vault: defaults, every key, durations, booleans, and every error with its exact position.
#include "keyd/config/config.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::config {
namespace {

using std::chrono::milliseconds;

Config parse_ok(const std::string& yaml) {
  auto config = parse_config(yaml, "t.yaml");
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

// Lines 1-3 are the store header, so the vault section's own lines start at line 4.
std::string with_vault(const std::string& vault_lines) {
  return "store:\n  backend: vault\n  vault:\n" + vault_lines + "swarms: [{name: a}]\n";
}

TEST(VaultConfig, BackendVaultNeedsNoSectionAndGetsEveryDefault) {
  const Config config = parse_ok("store: {backend: vault}\nswarms: [{name: a}]\n");
  EXPECT_EQ(to_string(config.store.backend), "vault");
  const VaultStoreConfig& v = config.store.vault;
  EXPECT_EQ(v.address, "");  // $VAULT_ADDR, layered by the CLI
  EXPECT_EQ(v.mount, "secret");
  EXPECT_FALSE(v.namespace_name.has_value());
  EXPECT_FALSE(v.allow_insecure_http);
  EXPECT_EQ(v.timeout, milliseconds{30'000});
  EXPECT_EQ(v.connect_timeout, milliseconds{5'000});
  EXPECT_EQ(v.max_attempts, 4);
  EXPECT_EQ(to_string(v.auth.method), "token");
  EXPECT_EQ(v.auth.token_file, "");
  EXPECT_EQ(v.auth.jwt_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(v.auth.mount, "");
  EXPECT_EQ(v.tls.ca_file, "");
  EXPECT_FALSE(v.tls.insecure_skip_verify.has_value());
}

TEST(VaultConfig, EveryKeyIsRead) {
  const Config config = parse_ok(with_vault(R"(    address: https://vault.example:8200
    mount: kv/team
    namespace: team-a/ipfs
    allow_insecure_http: true
    timeout: 1m30s
    connect_timeout: 250ms
    max_attempts: 10
    auth:
      method: approle
      role_id_file: /etc/keyd/role-id
      secret_id_file: /etc/keyd/secret-id
      mount: approle-keyd
    tls:
      ca_file: /etc/keyd/ca.pem
      client_cert_file: /etc/keyd/client.pem
      client_key_file: /etc/keyd/client.key
      server_name: vault.internal
      insecure_skip_verify: False
)"));
  const VaultStoreConfig& v = config.store.vault;
  EXPECT_EQ(v.address, "https://vault.example:8200");
  EXPECT_EQ(v.mount, "kv/team");
  EXPECT_EQ(v.namespace_name, std::optional<std::string>("team-a/ipfs"));
  EXPECT_TRUE(v.allow_insecure_http);
  EXPECT_EQ(v.timeout, milliseconds{90'000});
  EXPECT_EQ(v.connect_timeout, milliseconds{250});
  EXPECT_EQ(v.max_attempts, 10);
  EXPECT_EQ(to_string(v.auth.method), "approle");
  EXPECT_EQ(v.auth.role_id_file, "/etc/keyd/role-id");
  EXPECT_EQ(v.auth.secret_id_file, "/etc/keyd/secret-id");
  EXPECT_EQ(v.auth.mount, "approle-keyd");
  EXPECT_EQ(v.tls.ca_file, "/etc/keyd/ca.pem");
  EXPECT_EQ(v.tls.client_cert_file, "/etc/keyd/client.pem");
  EXPECT_EQ(v.tls.client_key_file, "/etc/keyd/client.key");
  EXPECT_EQ(v.tls.server_name, "vault.internal");
  EXPECT_EQ(v.tls.insecure_skip_verify, std::optional<bool>(false));
}

TEST(VaultConfig, TokenAndKubernetesMethods) {
  const Config token = parse_ok(with_vault("    auth: {method: token, token_file: /run/secrets/vault-token}\n"));
  EXPECT_EQ(token.store.vault.auth.token_file, "/run/secrets/vault-token");
  const Config kube = parse_ok(with_vault("    auth:\n      method: kubernetes\n      role: keyd\n"
                                          "      jwt_file: /var/run/token\n      mount: k8s-east\n"));
  EXPECT_EQ(to_string(kube.store.vault.auth.method), "kubernetes");
  EXPECT_EQ(kube.store.vault.auth.role, "keyd");
  EXPECT_EQ(kube.store.vault.auth.jwt_file, "/var/run/token");
  EXPECT_EQ(kube.store.vault.auth.mount, "k8s-east");
}

TEST(VaultConfig, BoundaryAndSpellingVariants) {
  EXPECT_EQ(parse_ok(with_vault("    timeout: 1ms\n")).store.vault.timeout, milliseconds{1});
  EXPECT_EQ(parse_ok(with_vault("    timeout: 1h\n")).store.vault.timeout, milliseconds{3'600'000});
  EXPECT_EQ(parse_ok(with_vault("    connect_timeout: 1500000us\n")).store.vault.connect_timeout, milliseconds{1'500});
  EXPECT_EQ(parse_ok(with_vault("    max_attempts: 1\n")).store.vault.max_attempts, 1);
  EXPECT_TRUE(parse_ok(with_vault("    allow_insecure_http: TRUE\n")).store.vault.allow_insecure_http);
  EXPECT_EQ(parse_ok(with_vault("    tls: {insecure_skip_verify: true}\n")).store.vault.tls.insecure_skip_verify,
            std::optional<bool>(true));
  // An explicit empty namespace is set (it overrides $VAULT_NAMESPACE), unlike an absent one.
  EXPECT_EQ(parse_ok(with_vault("    namespace: ''\n")).store.vault.namespace_name, std::optional<std::string>(""));
  EXPECT_EQ(parse_ok(with_vault("    namespace:\n")).store.vault.namespace_name, std::optional<std::string>(""));
  EXPECT_EQ(parse_ok(with_vault("    address: http://127.0.0.1:8200\n")).store.vault.address, "http://127.0.0.1:8200");
}

TEST(VaultConfig, SectionIsAllowedWithTheFileBackend) {
  const Config config = parse_ok("store:\n  backend: file\n  vault: {address: https://v:8200}\nswarms: [{name: a}]\n");
  EXPECT_EQ(to_string(config.store.backend), "file");
  EXPECT_EQ(config.store.vault.address, "https://v:8200");
}

TEST(VaultConfig, ExampleConfigsParse) {
  for (const char* name : {"configs/local.yaml", "configs/vault.yaml", "configs/vault-token.yaml"}) {
    SCOPED_TRACE(name);
    const auto config = load_config(std::filesystem::path(KEYD_SOURCE_DIR) / name);
    ASSERT_TRUE(config.has_value()) << config.error().message;
  }
  const auto vault = load_config(std::filesystem::path(KEYD_SOURCE_DIR) / "configs/vault.yaml");
  ASSERT_TRUE(vault.has_value());
  EXPECT_EQ(to_string(vault->store.backend), "vault");
  EXPECT_EQ(to_string(vault->store.vault.auth.method), "kubernetes");
}

}  // namespace
}  // namespace keyd::config
