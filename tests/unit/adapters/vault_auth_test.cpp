// Vault store authentication against the double: token (lookup-self, token_file re-read, expiry),
// AppRole and Kubernetes logins, re-login after a 403, renewal driven by the FakeClock.
#include "vault/vault_client.hpp"
#include "vault_test_helpers.hpp"

#include <atomic>
#include <thread>
#include <vector>

namespace keyd::adapters::vault_test {
namespace {

constexpr const char* k_lookup = "/v1/auth/token/lookup-self";
constexpr const char* k_renew = "/v1/auth/token/renew-self";
constexpr const char* k_approle_login = "/v1/auth/approle/login";

class VaultAuthTest : public VaultStoreTest {
 protected:
  // An AppRole role "keyd" with the keyd policy; role_id/secret_id written to files.
  VaultOptions approle_options(const json& role_extra = json::object(), const std::string& file_suffix = "") {
    json role{{"name", "keyd"}, {"policies", {"keyd"}}, {"token_ttl", "1h"}};
    role.update(role_extra);
    const auto made = m_vault->control("POST", "approle/roles", role);
    const auto role_id = made["role_id"].get<std::string>();
    const auto secret_id = made["secret_id"].get<std::string>();
    remember_secret(secret_id);
    auto o = options();
    o.auth = {};
    o.auth.method = config::VaultAuthMethod::approle;
    o.auth.role_id_file = secret_file("role-id", role_id + file_suffix);
    o.auth.secret_id_file = secret_file("secret-id", secret_id + file_suffix);
    return o;
  }

  // A Kubernetes role bound to service account ipfs/keyd; the JWT carries `claims`.
  VaultOptions kubernetes_options(const json& claims, const std::string& mount = "") {
    json role{{"name", "keyd"},
              {"bound_service_account_names", {"keyd"}},
              {"bound_service_account_namespaces", {"ipfs"}},
              {"policies", {"keyd"}},
              {"token_ttl", "1h"}};
    if (!mount.empty()) role["mount"] = mount;
    m_vault->control("POST", "kubernetes/roles", role);
    const std::string jwt = make_jwt(claims);
    remember_secret(jwt);
    remember_secret(jwt.substr(jwt.find('.') + 1, 24));
    auto o = options();
    o.auth = {};
    o.auth.method = config::VaultAuthMethod::kubernetes;
    o.auth.role = "keyd";
    o.auth.jwt_file = secret_file("jwt", jwt);
    o.auth.mount = mount;
    return o;
  }

  static json service_account_claims(const std::string& name, const std::string& ns) {
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                         (std::chrono::system_clock::now() + 1h).time_since_epoch())
                         .count();
    return {{"iss", "https://kubernetes.default.svc.cluster.local"},
            {"sub", "system:serviceaccount:" + ns + ":" + name},
            {"aud", {"vault"}},
            {"exp", exp},
            {"kubernetes.io", {{"namespace", ns}, {"serviceaccount", {{"name", name}, {"uid", "0d1f"}}}}}};
  }

  void round_trip(ports::SecretStore& store) {
    write_versions(store, 2);
    const auto got = store.read(k_path, std::nullopt);
    ASSERT_TRUE(got) << got.error().message;
    expect_data_is(got->data, 2);
    const auto meta = store.metadata(k_path);
    ASSERT_TRUE(meta) << meta.error().message;
    EXPECT_EQ(meta->current_version, 2);
  }
};

TEST_F(VaultAuthTest, TokenIsLookedUpOnceOnlyWhenItsLifetimeCanMatter) {
  auto o = options();
  o.auth.token = Secret::from_text(make_token());
  auto store = make_store(std::move(o));
  EXPECT_EQ(count(""), 0);  // construction is lazy
  round_trip(*store);
  EXPECT_EQ(count("GET", k_lookup), 0) << "a one-shot command does not need the token's TTL";
  m_clock.advance(vault::k_token_lookup_after);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("GET", k_lookup), 1) << "a client that lives on learns the TTL to renew in time";
  m_clock.advance(vault::k_token_lookup_after * 3);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("GET", k_lookup), 1) << "looked up once";
  for (const auto& r : m_vault->requests()) EXPECT_EQ(r["auth"], "X-Vault-Token") << r.dump();
}

TEST_F(VaultAuthTest, AppRoleLogsInOnceWithTheFilesContents) {
  auto store = make_store(approle_options());
  round_trip(*store);
  const auto logins = logged("POST", k_approle_login);
  ASSERT_EQ(logins.size(), 1U);
  EXPECT_EQ(logins[0]["status"], 200);
  EXPECT_TRUE(logins[0]["auth"].is_null());  // no token on a login
  EXPECT_EQ(m_vault->requests()[0]["path"], k_approle_login);
}

TEST_F(VaultAuthTest, AppRoleFilesWithATrailingNewlineWork) {
  auto store = make_store(approle_options(json::object(), "\n"));
  ASSERT_TRUE(store->write(k_path, version_data(1), 0)) << "role_id/secret_id files end in a newline";
}

TEST_F(VaultAuthTest, AppRoleWithAWrongSecretIsUnauthorized) {
  auto o = approle_options();
  o.auth.secret_id_file = secret_file("wrong-secret-id", "a7c1e1f0-0000-4000-8000-00000000dead");
  remember_secret("a7c1e1f0-0000-4000-8000-00000000dead");
  auto store = make_store(std::move(o));
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unauthorized") << got.error().message;
  expect_clean(got.error());
  EXPECT_LE(count("POST", k_approle_login), 2);
}

TEST_F(VaultAuthTest, PermissionDeniedByPolicyReLogsInOnceThenIsUnauthorized) {
  m_vault->control("POST", "policies",
                   {{"name", "reader"}, {"rules", {{{"path", "secret/data/*"}, {"capabilities", {"read"}}}}}});
  auto store = make_store(approle_options({{"policies", {"reader"}}}));
  const auto got = store->write(k_path, version_data(1), 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unauthorized") << got.error().message;
  EXPECT_TRUE(contains(got.error().message, std::string("secret/data/") + k_path)) << got.error().message;
  EXPECT_TRUE(contains(got.error().message, "403")) << got.error().message;
  expect_clean(got.error());
  EXPECT_EQ(count("POST", k_approle_login), 2);
  EXPECT_EQ(count("POST", k_data_path), 2);
  EXPECT_TRUE(m_clock.sleeps().empty());
}

TEST_F(VaultAuthTest, KubernetesLogsInWithTheServiceAccountJwt) {
  auto store = make_store(kubernetes_options(service_account_claims("keyd", "ipfs")));
  round_trip(*store);
  EXPECT_EQ(count("POST", "/v1/auth/kubernetes/login"), 1);
}

TEST_F(VaultAuthTest, KubernetesOnACustomMount) {
  auto store = make_store(kubernetes_options(service_account_claims("keyd", "ipfs"), "k8s-prod"));
  round_trip(*store);
  EXPECT_EQ(count("POST", "/v1/auth/k8s-prod/login"), 1);
  EXPECT_EQ(count("POST", "/v1/auth/kubernetes/login"), 0);
}

TEST_F(VaultAuthTest, KubernetesWithAnUnboundServiceAccountIsUnauthorized) {
  auto store = make_store(kubernetes_options(service_account_claims("intruder", "ipfs")));
  const LogCapture logs;
  const auto got = store->write(k_path, version_data(1), 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unauthorized") << got.error().message;
  expect_clean(got.error());
  expect_clean(logs.text());
  EXPECT_LE(count("POST", "/v1/auth/kubernetes/login"), 2);
  EXPECT_EQ(count("POST", k_data_path), 0);
}

TEST_F(VaultAuthTest, ExpiredAppRoleTokenLogsInAgainAndSucceeds) {
  auto store = make_store(approle_options());
  write_versions(*store, 1);
  ASSERT_EQ(m_vault->control("POST", "tokens/expire", {{"source", "approle"}})["expired"], 1);
  m_vault->clear_requests();

  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
  const auto reads = logged("GET", k_data_path);
  ASSERT_EQ(reads.size(), 2U);
  EXPECT_EQ(reads[0]["status"], 403);
  EXPECT_EQ(reads[1]["status"], 200);
  EXPECT_EQ(count("POST", k_approle_login), 1);
  EXPECT_TRUE(m_clock.sleeps().empty());  // a re-login is not a backoff
}

// The daemon's workers share one client: calls refused together with an expired token log in once
// between them, and each retries with the new token.
TEST_F(VaultAuthTest, ConcurrentCallsRefusedTogetherLogInOnce) {
  auto store = make_store(approle_options());
  write_versions(*store, 1);
  ASSERT_EQ(m_vault->control("POST", "tokens/expire", {{"source", "approle"}})["expired"], 1);
  m_vault->clear_requests();

  constexpr int k_threads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&] {
      if (store->read(k_path, std::nullopt)) ++ok;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), k_threads);
  EXPECT_EQ(count("POST", k_approle_login), 1);
  int refused = 0;
  for (const auto& r : logged("GET", k_data_path)) refused += r["status"] == 403 ? 1 : 0;
  EXPECT_GE(refused, 1);
  EXPECT_EQ(count("GET", k_data_path), k_threads + refused);
}

TEST_F(VaultAuthTest, ExpiredStaticTokenIsUnauthorizedWithoutLooping) {
  auto o = options();
  o.auth.token = Secret::from_text(make_token());
  auto store = make_store(std::move(o));
  write_versions(*store, 1);
  m_vault->control("POST", "tokens/expire", {{"all", true}});
  m_vault->clear_requests();

  const LogCapture logs;
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unauthorized") << got.error().message;
  expect_clean(got.error());
  expect_clean(logs.text());
  EXPECT_LE(count(""), 3) << m_vault->requests().dump();  // GET, maybe lookup-self, GET again
  EXPECT_TRUE(m_clock.sleeps().empty());
}

TEST_F(VaultAuthTest, TokenAlreadyExpiredAtStartIsUnauthorized) {
  const auto token = make_token();
  m_vault->control("POST", "tokens/expire", {{"token", token}});
  auto o = options();
  o.auth.token = Secret::from_text(token);
  auto store = make_store(std::move(o));
  const auto got = store->write(k_path, version_data(1), 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unauthorized") << got.error().message;
  expect_clean(got.error());
  // No lookup first (a one-shot command does not need the token's TTL): Vault refuses the write
  // itself, once more after keyd reads the token again, and nothing is stored.
  for (const auto& r : m_vault->requests()) EXPECT_EQ(r["status"], 403) << r.dump();
  EXPECT_LE(count("POST", k_data_path), 2);
  EXPECT_LE(count(""), 3);
  EXPECT_EQ(m_vault->api("GET", std::string("secret/metadata/") + k_path).status, 404) << "nothing was stored";
}

TEST_F(VaultAuthTest, TokenFileIsReReadAfterA403) {
  const auto first = make_token();
  auto o = options();
  o.auth.token = Secret::from_text(first);
  o.auth.token_file = secret_file("token", first + "\n");
  auto store = make_store(std::move(o));
  write_versions(*store, 1);

  // The token is rotated on disk (e.g. by Vault Agent) and the old one expires.
  const auto second = make_token();
  secret_file("token", second + "\n");
  m_vault->control("POST", "tokens/expire", {{"token", first}});
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
}

TEST_F(VaultAuthTest, RenewsATokenWhenLessThanAThirdOfItsTtlRemains) {
  auto o = options();
  o.auth.token = Secret::from_text(make_token({{"ttl", "3h"}, {"renewable", true}}));
  auto store = make_store(std::move(o));
  write_versions(*store, 1);
  m_clock.advance(vault::k_token_lookup_after);  // long enough for the token's TTL to matter: looked up now
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("GET", k_lookup), 1);
  EXPECT_EQ(count("POST", k_renew), 0);

  m_clock.advance(90min);  // half the TTL left: no renewal yet
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("POST", k_renew), 0);

  m_clock.advance(40min);  // 50 of 180 minutes left
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("POST", k_renew), 1);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("POST", k_renew), 1);  // the renewal reset the clock
}

TEST_F(VaultAuthTest, LogsInAgainWhenTheTokenIsNotRenewable) {
  auto store = make_store(approle_options({{"renewable", false}, {"token_ttl", "3h"}}));
  write_versions(*store, 1);
  EXPECT_EQ(count("POST", k_approle_login), 1);
  m_clock.advance(130min);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("POST", k_approle_login), 2);
  EXPECT_EQ(count("POST", k_renew), 0);
}

TEST_F(VaultAuthTest, RootTokenIsNeverRenewed) {
  auto store = make_store();
  write_versions(*store, 1);
  m_clock.advance(24h * 400);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("POST", k_renew), 0);
  EXPECT_EQ(count("GET", k_lookup), 1);
}

}  // namespace
}  // namespace keyd::adapters::vault_test
