// The vault backend's home: store.vault layered over VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE and
// the TLS variables, with an injected environment (config wins; token from a file or the variable).
#include "backend_env.hpp"

#include "keyd/adapters/vault/vault_backend.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace keyd::adapters::backend_test {
namespace {

config::VaultStoreConfig with_address(std::string address = "https://vault.example:8200") {
  config::VaultStoreConfig cfg;
  cfg.address = std::move(address);
  return cfg;
}

const EnvMap k_token{{"VAULT_TOKEN", "hvs.from-env"}};

TEST(VaultBackendOptions, ConfigAddressWinsOverVaultAddrAndLosesItsTrailingSlashes) {
  EnvMap env = k_token;
  env["VAULT_ADDR"] = "https://from-env:8200";
  auto o = vault_backend_options(with_address("https://from-config:8200//"), env_of(env));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->store.address, "https://from-config:8200");
}

TEST(VaultBackendOptions, VaultAddrWhenTheConfigHasNoAddress) {
  EnvMap env = k_token;
  env["VAULT_ADDR"] = "http://127.0.0.1:8200/";
  auto o = vault_backend_options(with_address(""), env_of(env));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->store.address, "http://127.0.0.1:8200");
}

TEST(VaultBackendOptions, NoAddressAnywhereIsInvalidConfig) {
  auto o = vault_backend_options(with_address(""), env_of(k_token));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(o.error().message, "store.vault.address is not set and VAULT_ADDR is empty");
}

TEST(VaultBackendOptions, TokenFromVaultTokenTrimmed) {
  auto o = vault_backend_options(with_address(), env_of({{"VAULT_TOKEN", " hvs.abc\n"}}));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->store.auth.token.reveal_text(), "hvs.abc");
  EXPECT_TRUE(o->store.auth.token_file.empty());
}

TEST(VaultBackendOptions, TokenFileWinsOverVaultTokenAndIsRememberedForReauthentication) {
  const testing::TempDir dir;
  testing::write_file(dir / "token", "hvs.from-file\n");
  auto cfg = with_address();
  cfg.auth.token_file = (dir / "token").string();
  auto o = vault_backend_options(cfg, env_of(k_token));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->store.auth.token.reveal_text(), "hvs.from-file");
  EXPECT_EQ(o->store.auth.token_file, cfg.auth.token_file);
}

TEST(VaultBackendOptions, MissingTokenFileNamesTheFile) {
  auto cfg = with_address();
  cfg.auth.token_file = "/nonexistent/keyd-token";
  auto o = vault_backend_options(cfg, env_of(k_token));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message, "store.vault.auth.token_file /nonexistent/keyd-token: not found");
}

TEST(VaultBackendOptions, NoTokenForMethodTokenIsInvalidConfig) {
  for (const EnvMap& env : {EnvMap{}, EnvMap{{"VAULT_TOKEN", ""}}}) {
    auto o = vault_backend_options(with_address(), env_of(env));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().message,
              "no Vault token: set store.vault.auth.token_file or VAULT_TOKEN (or use auth method approle or "
              "kubernetes)");
  }
}

TEST(VaultBackendOptions, VaultTokenWithALineBreakInsideIsRefusedWithoutShowingIt) {
  auto o = vault_backend_options(with_address(), env_of({{"VAULT_TOKEN", "hvs.a\nb"}}));
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("VAULT_TOKEN must hold one value of printable ASCII"), std::string::npos);
  EXPECT_EQ(o.error().message.find("hvs.a"), std::string::npos);
}

TEST(VaultBackendOptions, OtherAuthMethodsIgnoreVaultTokenAndCopyTheirSettings) {
  auto cfg = with_address();
  cfg.auth.method = config::VaultAuthMethod::approle;
  cfg.auth.role_id_file = "/r";
  cfg.auth.secret_id_file = "/s";
  cfg.auth.mount = "approle-prod";
  auto o = vault_backend_options(cfg, env_of(k_token));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(config::to_string(o->store.auth.method), "approle");
  EXPECT_TRUE(o->store.auth.token.empty());
  EXPECT_EQ(o->store.auth.role_id_file, "/r");
  EXPECT_EQ(o->store.auth.secret_id_file, "/s");
  EXPECT_EQ(o->store.auth.mount, "approle-prod");
}

TEST(VaultBackendOptions, NamespaceFromVaultNamespaceUnlessTheConfigSetsOneEvenEmpty) {
  EnvMap env = k_token;
  env["VAULT_NAMESPACE"] = "team-a";
  auto cfg = with_address();
  auto from_env = vault_backend_options(cfg, env_of(env));
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->store.namespace_name, "team-a");
  cfg.namespace_name = "team-b";
  EXPECT_EQ(vault_backend_options(cfg, env_of(env))->store.namespace_name, "team-b");
  cfg.namespace_name = "";
  EXPECT_EQ(vault_backend_options(cfg, env_of(env))->store.namespace_name, "");
}

TEST(VaultBackendOptions, TlsVariablesFillWhatTheConfigLeavesEmpty) {
  EnvMap env = k_token;
  env["VAULT_CACERT"] = "/env/ca.pem";
  env["VAULT_CLIENT_CERT"] = "/env/cert.pem";
  env["VAULT_CLIENT_KEY"] = "/env/key.pem";
  env["VAULT_TLS_SERVER_NAME"] = "env.vault";
  auto cfg = with_address();
  auto from_env = vault_backend_options(cfg, env_of(env));
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->tls.ca_file, "/env/ca.pem");
  EXPECT_EQ(from_env->tls.client_cert_file, "/env/cert.pem");
  EXPECT_EQ(from_env->tls.client_key_file, "/env/key.pem");
  EXPECT_EQ(from_env->tls.server_name, "env.vault");

  cfg.tls.ca_file = "/cfg/ca.pem";
  cfg.tls.client_cert_file = "/cfg/cert.pem";
  cfg.tls.client_key_file = "/cfg/key.pem";
  cfg.tls.server_name = "cfg.vault";
  auto from_cfg = vault_backend_options(cfg, env_of(env));
  ASSERT_TRUE(from_cfg) << from_cfg.error().message;
  EXPECT_EQ(from_cfg->tls.ca_file, "/cfg/ca.pem");
  EXPECT_EQ(from_cfg->tls.client_cert_file, "/cfg/cert.pem");
  EXPECT_EQ(from_cfg->tls.client_key_file, "/cfg/key.pem");
  EXPECT_EQ(from_cfg->tls.server_name, "cfg.vault");
}

TEST(VaultBackendOptions, VaultSkipVerifyReadAsGoReadsABoolUnlessTheConfigSaysSo) {
  struct Case {
    std::string value;
    bool skip;
  };
  for (const Case& c : {Case{"1", true}, Case{"true", true}, Case{"T", true}, Case{"0", false}, Case{"False", false},
                        Case{"", false}}) {
    EnvMap env = k_token;
    env["VAULT_SKIP_VERIFY"] = c.value;
    auto o = vault_backend_options(with_address(), env_of(env));
    ASSERT_TRUE(o) << c.value << ": " << o.error().message;
    EXPECT_EQ(o->tls.insecure_skip_verify, c.skip) << c.value;
  }
  EnvMap env = k_token;
  env["VAULT_SKIP_VERIFY"] = "yes";
  auto bad = vault_backend_options(with_address(), env_of(env));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "VAULT_SKIP_VERIFY: expected true or false, got 'yes'");
  auto cfg = with_address();
  cfg.tls.insecure_skip_verify = false;  // the config wins, even over a value that would not parse
  auto o = vault_backend_options(cfg, env_of(env));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_FALSE(o->tls.insecure_skip_verify);
}

TEST(VaultBackendOptions, TimeoutsAttemptsMountAndInsecureHttpCopied) {
  auto cfg = with_address();
  cfg.mount = "kv";
  cfg.timeout = std::chrono::milliseconds{1234};
  cfg.connect_timeout = std::chrono::milliseconds{567};
  cfg.max_attempts = 7;
  cfg.allow_insecure_http = true;
  auto o = vault_backend_options(cfg, env_of(k_token));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->store.mount, "kv");
  EXPECT_EQ(o->store.request_timeout, std::chrono::milliseconds{1234});
  EXPECT_EQ(o->store.connect_timeout, std::chrono::milliseconds{567});
  EXPECT_EQ(o->store.max_attempts, 7);
  EXPECT_TRUE(o->allow_insecure_http);
}

TEST(MakeVaultBackend, PlainHttpToARemoteHostIsRefusedBeforeAnyTransportExists) {
  const testing::FakeClock clock;
  testing::FixedRandom random;
  auto built = make_vault_backend(with_address("http://vault.example:8200"), env_of(k_token), clock, random, {});
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, ErrorCode::invalid_config);
  EXPECT_NE(built.error().message.find("http://vault.example:8200"), std::string::npos);
}

TEST(MakeVaultBackend, BuildsAStoreOnItsOwnTransport) {
  const testing::FakeClock clock;
  testing::FixedRandom random;
  auto built = make_vault_backend(with_address("http://127.0.0.1:1"), env_of(k_token), clock, random, {});
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_NE(built->transport, nullptr);
  EXPECT_NE(built->store, nullptr);
}

}  // namespace
}  // namespace keyd::adapters::backend_test
