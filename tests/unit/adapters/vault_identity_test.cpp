// Who Vault says keyd is after a login (for the audit actor): the login response's auth.metadata and
// auth.entity_id, parsed from the double's real-shaped answers and reported through on_login.
#include "vault/vault_api.hpp"
#include "vault_test_helpers.hpp"

namespace keyd::adapters::vault_test {
namespace {

class VaultIdentityTest : public VaultStoreTest {
 protected:
  VaultOptions kubernetes_options(const std::string& mount) {
    json role{{"name", "keyd-reader"},
              {"bound_service_account_names", {"ipfs-node"}},
              {"bound_service_account_namespaces", {"ipfs"}},
              {"policies", {"keyd"}},
              {"token_ttl", "1h"}};
    if (!mount.empty()) role["mount"] = mount;
    m_vault->control("POST", "kubernetes/roles", role);
    const auto exp =
        std::chrono::duration_cast<std::chrono::seconds>((std::chrono::system_clock::now() + 1h).time_since_epoch())
            .count();
    const json claims{
        {"iss", "https://kubernetes.default.svc.cluster.local"},
        {"sub", "system:serviceaccount:ipfs:ipfs-node"},
        {"aud", {"vault"}},
        {"exp", exp},
        {"kubernetes.io", {{"namespace", "ipfs"}, {"serviceaccount", {{"name", "ipfs-node"}, {"uid", "9a7e"}}}}}};
    auto o = options();
    o.auth = {};
    o.auth.method = config::VaultAuthMethod::kubernetes;
    o.auth.role = "keyd-reader";
    o.auth.jwt_file = secret_file("jwt", make_jwt(claims));
    o.auth.mount = mount;
    o.auth.on_login = [this](const VaultIdentity& identity) { m_logins.push_back(identity); };
    return o;
  }

  std::vector<VaultIdentity> m_logins;
};

TEST_F(VaultIdentityTest, AKubernetesLoginReportsMountRoleServiceAccountAndEntity) {
  auto store = make_store(kubernetes_options("k8s-prod"));
  write_versions(*store, 1);
  ASSERT_EQ(m_logins.size(), 1U);
  const VaultIdentity id = m_logins[0];  // a copy: the vector grows below
  EXPECT_EQ(id.method, "kubernetes");
  EXPECT_EQ(id.auth_mount, "k8s-prod");
  EXPECT_EQ(id.role, "keyd-reader");
  EXPECT_EQ(id.service_account_namespace, "ipfs");
  EXPECT_EQ(id.service_account_name, "ipfs-node");
  EXPECT_EQ(id.entity_id.size(), 36U) << id.entity_id;
  EXPECT_EQ(describe_vault_identity(id), "vault:k8s-prod/keyd-reader sa=ipfs/ipfs-node entity=" + id.entity_id);

  // A second login (new process, same service account) is the same Vault entity.
  auto again = make_store(kubernetes_options("k8s-prod"));
  ASSERT_TRUE(again->metadata(k_path));
  ASSERT_EQ(m_logins.size(), 2U);
  EXPECT_EQ(m_logins[1].entity_id, id.entity_id);
}

TEST_F(VaultIdentityTest, AnAppRoleLoginReportsTheRoleNameAndAGivenTokenNothing) {
  const auto made = m_vault->control("POST", "approle/roles", {{"name", "rotator"}, {"policies", {"keyd"}}});
  auto o = options();
  o.auth = {};
  o.auth.method = config::VaultAuthMethod::approle;
  o.auth.role_id_file = secret_file("role-id", made["role_id"].get<std::string>());
  o.auth.secret_id_file = secret_file("secret-id", made["secret_id"].get<std::string>());
  o.auth.on_login = [this](const VaultIdentity& identity) { m_logins.push_back(identity); };
  auto store = make_store(std::move(o));
  write_versions(*store, 1);
  ASSERT_EQ(m_logins.size(), 1U);
  EXPECT_EQ(m_logins[0].role, "rotator");
  EXPECT_TRUE(m_logins[0].service_account_name.empty());
  EXPECT_TRUE(describe_vault_identity(m_logins[0]).starts_with("vault:approle/rotator entity="))
      << describe_vault_identity(m_logins[0]);

  auto token = options();
  token.auth.on_login = [this](const VaultIdentity& identity) { m_logins.push_back(identity); };
  auto by_token = make_store(std::move(token));
  ASSERT_TRUE(by_token->metadata(k_path));
  EXPECT_EQ(m_logins.size(), 1U);
}

TEST(VaultIdentity, ParsedFromTheLoginResponseAndDescribedWithWhatIsKnown) {
  const auto doc = vault::parse_json(
      Secret::from_text(R"({"auth":{"client_token":"hvs.x","lease_duration":60,"renewable":true,)"
                        R"("entity_id":"e-1","metadata":{"role":"r","service_account_namespace":"ns",)"
                        R"("service_account_name":"sa","service_account_uid":"u"}}})"),
      "login");
  ASSERT_TRUE(doc);
  const auto grant = vault::parse_login(*doc, "login");
  ASSERT_TRUE(grant);
  EXPECT_EQ(grant->identity.role, "r");
  EXPECT_EQ(grant->identity.service_account_namespace, "ns");
  EXPECT_EQ(grant->identity.service_account_name, "sa");
  EXPECT_EQ(grant->identity.entity_id, "e-1");

  VaultIdentity id;
  id.method = "kubernetes";
  EXPECT_EQ(describe_vault_identity(id), "vault:kubernetes");
  id.auth_mount = "k";
  id.role = "r";
  EXPECT_EQ(describe_vault_identity(id), "vault:k/r");
  id.service_account_namespace = "ns";
  id.service_account_name = "sa";
  EXPECT_EQ(describe_vault_identity(id), "vault:k/r sa=ns/sa");
}

}  // namespace
}  // namespace keyd::adapters::vault_test
