// Kubernetes client configuration inside a pod: the service-account files, through the
// KEYD_SERVICEACCOUNT_DIR test hook.
#include "kube_connection_test_helpers.hpp"

#include "keyd/common/base64.hpp"
#include "keyd/common/rfc3339.hpp"

namespace keyd::adapters {
namespace {

using namespace kube_test;
using ::testing::HasSubstr;

class KubeInClusterTest : public KubeFixture {
 protected:
  void SetUp() override {
    write("sa/token", std::string(k_token) + "\n");
    write("sa/ca.crt", k_ca_pem);
    write("sa/namespace", "ipfs-system\n");
    m_env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
    m_env["KUBERNETES_SERVICE_PORT"] = "443";
    m_env[kube::k_service_account_dir_variable] = (m_dir / "sa").string();
    m_env["KUBECONFIG"] = write("ignored-config", kubeconfig("    server: https://not-used", "    token: t"));
  }
};

TEST_F(KubeInClusterTest, ServiceAccountTokenCaAndNamespace) {
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://10.96.0.1:443");
  EXPECT_EQ(connection->default_namespace, "ipfs-system");
  EXPECT_EQ(connection->tls.ca_file, (m_dir / "sa/ca.crt").string());
  EXPECT_FALSE(connection->tls.insecure_skip_verify);
  EXPECT_EQ(connection->description, "in-cluster");
  auto credentials = connection->credentials->get(false);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->bearer_token.reveal_text(), k_token);
}

TEST_F(KubeInClusterTest, PodNamespaceOverridesTheFileAndDefaultIsTheFallback) {
  m_env["POD_NAMESPACE"] = "from-env";
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->default_namespace, "from-env");
  m_env.erase("POD_NAMESPACE");
  std::filesystem::remove(m_dir / "sa/namespace");
  auto fallback = load("");
  ASSERT_TRUE(fallback) << fallback.error().message;
  EXPECT_EQ(fallback->default_namespace, "default");
}

TEST_F(KubeInClusterTest, Ipv6HostIsBracketed) {
  m_env["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
  m_env["KUBERNETES_SERVICE_PORT"] = "6443";
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://[fd00:10:96::1]:6443");
}

TEST_F(KubeInClusterTest, RotatedTokenIsPickedUpWithinAMinuteAndOnRefresh) {
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  write("sa/token", k_other_token);
  EXPECT_EQ(connection->credentials->get(false)->bearer_token.reveal_text(), k_token);
  m_clock.advance(60s);
  EXPECT_EQ(connection->credentials->get(false)->bearer_token.reveal_text(), k_other_token);
  write("sa/token", "third");
  EXPECT_EQ(connection->credentials->get(true)->bearer_token.reveal_text(), "third");
}

TEST_F(KubeInClusterTest, MissingTokenOrCaIsInvalidConfigNamingThePath) {
  std::filesystem::remove(m_dir / "sa/ca.crt");
  EXPECT_THAT(error_of(load("")), HasSubstr((m_dir / "sa/ca.crt").string()));
  std::filesystem::remove(m_dir / "sa/token");
  EXPECT_THAT(error_of(load("")), HasSubstr((m_dir / "sa/token").string()));
  write("sa/token", " \n");
  EXPECT_THAT(error_of(load("")), HasSubstr("is empty"));
}

TEST_F(KubeInClusterTest, OnlyWithBothVariablesAndNotForAnExplicitContext) {
  m_env.erase("KUBERNETES_SERVICE_PORT");
  auto from_kubeconfig = load("");
  ASSERT_TRUE(from_kubeconfig) << from_kubeconfig.error().message;
  EXPECT_EQ(from_kubeconfig->server, "https://not-used");
  m_env["KUBERNETES_SERVICE_PORT"] = "443";
  auto with_context = load("", "main");  // a context names a kubeconfig context
  ASSERT_TRUE(with_context) << with_context.error().message;
  EXPECT_EQ(with_context->server, "https://not-used");
}

TEST(KubeEnvironment, ProcessEnvironmentSeesTheProcessVariables) {
  ::setenv("KEYD_KUBE_TEST_VARIABLE", "a=b", 1);
  const auto env = process_environment();
  ::unsetenv("KEYD_KUBE_TEST_VARIABLE");
  ASSERT_TRUE(env.contains("KEYD_KUBE_TEST_VARIABLE"));
  EXPECT_EQ(env.at("KEYD_KUBE_TEST_VARIABLE"), "a=b");
}

TEST(KubeText, Base64AndRfc3339) {
  EXPECT_EQ(base64_decode_lenient(base64("hello world!"))->reveal_text(), "hello world!");
  EXPECT_EQ(base64_decode_lenient("aGk")->reveal_text(), "hi");  // padding optional
  EXPECT_EQ(base64_decode_lenient("aG\nVs bG8=")->reveal_text(), "hello");
  EXPECT_FALSE(base64_decode_lenient("a$=="));
  EXPECT_FALSE(base64_decode_lenient("aGk=x"));
  using std::chrono::sys_days;
  using namespace std::chrono;
  const auto base = sys_days{2026y / November / 28} + 10h;
  EXPECT_EQ(parse_rfc3339("2026-11-28T10:00:00Z"), base);
  EXPECT_EQ(parse_rfc3339("2026-11-28T12:30:00+02:30"), base);
  EXPECT_EQ(parse_rfc3339("2026-11-28T10:00:00.25Z"), base + 250ms);
  for (const char* bad : {"2026-11-28", "2026-11-28T10:00:00", "2026-02-30T10:00:00Z", "2026-11-28T10:00:00Zx"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace keyd::adapters
