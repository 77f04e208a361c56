// Kubernetes client configuration from kubeconfig files: clusters, users, contexts, merging.
#include "kube_connection_test_helpers.hpp"

namespace keyd::adapters {
namespace {

using namespace kube_test;
using ::testing::HasSubstr;

class KubeConfigTest : public KubeFixture {};

TEST_F(KubeConfigTest, TokenUserWithCaFileRelativeToTheKubeconfig) {
  const auto file = write("conf/config", kubeconfig("    server: https://kube.example:6443/\n"
                                                   "    certificate-authority: pki/ca.crt",
                                                   fmt::format("    token: {}", k_token), "    namespace: ipfs-system"));
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://kube.example:6443");
  EXPECT_EQ(connection->default_namespace, "ipfs-system");
  EXPECT_EQ(connection->tls.ca_file, (m_dir / "conf/pki/ca.crt").string());
  EXPECT_TRUE(connection->tls.ca_pem.empty());
  EXPECT_FALSE(connection->tls.insecure_skip_verify);
  EXPECT_EQ(connection->description, fmt::format("kubeconfig {} (context main)", file));
  auto credentials = connection->credentials->get(false);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->bearer_token.reveal_text(), k_token);
  EXPECT_FALSE(credentials->client_key_pem);
  auto refreshed = connection->credentials->get(true);
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->bearer_token.reveal_text(), k_token);
}

TEST_F(KubeConfigTest, CaDataInsecureSkipVerifyAndTlsServerName) {
  const auto file = write("config", kubeconfig(fmt::format("    server: https://10.1.2.3\n"
                                                           "    certificate-authority: ignored.crt\n"
                                                           "    certificate-authority-data: {}\n"
                                                           "    insecure-skip-tls-verify: true\n"
                                                           "    tls-server-name: kubernetes.default.svc",
                                                           base64(k_ca_pem)),
                                               "    {}"));
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->tls.ca_pem, k_ca_pem);
  EXPECT_TRUE(connection->tls.ca_file.empty());  // the data wins
  EXPECT_TRUE(connection->tls.insecure_skip_verify);
  EXPECT_EQ(connection->tls.server_name, "kubernetes.default.svc");
  EXPECT_EQ(connection->default_namespace, "default");
  auto credentials = connection->credentials->get(false);
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->bearer_token.empty());
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyAsRelativeFiles) {
  const auto file = write("a/b/config", kubeconfig(k_plain_cluster, "    client-certificate: ../certs/client.crt\n"
                                                                    "    client-key: /abs/client.key"));
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->tls.client_cert_file, (m_dir / "a/certs/client.crt").string());
  EXPECT_EQ(connection->tls.client_key_file, "/abs/client.key");
  EXPECT_TRUE(connection->tls.client_cert_pem.empty());
  auto credentials = connection->credentials->get(false);
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->bearer_token.empty());
}

TEST_F(KubeConfigTest, ClientCertificateAndKeyAsData) {
  const auto file = write("config", kubeconfig(k_plain_cluster, fmt::format("    client-certificate-data: {}\n"
                                                                            "    client-key-data: {}",
                                                                            base64(k_cert_pem), base64(k_key_pem))));
  LogCapture logs;
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->tls.client_cert_pem, k_cert_pem);
  ASSERT_TRUE(connection->tls.client_key_pem);
  EXPECT_EQ(connection->tls.client_key_pem->reveal_text(), k_key_pem);
  EXPECT_TRUE(connection->tls.client_cert_file.empty());
  EXPECT_TRUE(connection->tls.client_key_file.empty());
  expect_no_secrets(logs.text());
}

TEST_F(KubeConfigTest, TokenBeatsTokenFile) {
  write("token", k_other_token);
  const auto file = write("config", kubeconfig(k_plain_cluster, fmt::format("    token: {}\n    tokenFile: token", k_token)));
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  auto credentials = connection->credentials->get(true);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->bearer_token.reveal_text(), k_token);
}

TEST_F(KubeConfigTest, TokenFileIsTrimmedAndReReadOnRefreshAndAfterAMinute) {
  write("secrets/token", fmt::format("  {}\n", k_token));
  const auto file = write("config", kubeconfig(k_plain_cluster, "    tokenFile: secrets/token"));
  auto connection = load(file);
  ASSERT_TRUE(connection) << connection.error().message;
  const auto token_now = [&](bool refresh) {
    auto credentials = connection->credentials->get(refresh);
    EXPECT_TRUE(credentials) << credentials.error().message;
    return credentials ? std::string(credentials->bearer_token.reveal_text()) : std::string();
  };
  EXPECT_EQ(token_now(false), k_token);
  write("secrets/token", std::string(k_other_token) + "\n");
  EXPECT_EQ(token_now(false), k_token);  // read at most once a minute
  EXPECT_EQ(token_now(true), k_other_token);
  write("secrets/token", "third-token");
  m_clock.advance(30s);
  EXPECT_EQ(token_now(false), k_other_token);
  m_clock.advance(31s);
  EXPECT_EQ(token_now(false), "third-token");
  auto credentials = connection->credentials->get(false);
  ASSERT_TRUE(credentials && credentials->expires);
  EXPECT_EQ(*credentials->expires, m_clock.now() + 60s);

  std::filesystem::remove(m_dir / "secrets/token");
  m_clock.advance(61s);
  EXPECT_EQ(token_now(false), "third-token");  // a vanished file keeps the token read before
  auto gone = connection->credentials->get(true);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unauthorized);
  EXPECT_THAT(gone.error().message, HasSubstr((m_dir / "secrets/token").string()));
}

TEST_F(KubeConfigTest, CurrentContextVersusExplicitContext) {
  const auto file = write("config", R"(
current-context: dev
clusters:
- {name: dev-cluster, cluster: {server: "https://dev:6443"}}
- {name: prod-cluster, cluster: {server: "https://prod:6443"}}
users:
- {name: dev-user, user: {token: dev-token}}
- {name: prod-user, user: {token: prod-token}}
contexts:
- {name: dev, context: {cluster: dev-cluster, user: dev-user, namespace: dev-ns}}
- {name: prod, context: {cluster: prod-cluster, user: prod-user, namespace: prod-ns}}
)");
  auto current = load(file);
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(current->server, "https://dev:6443");
  EXPECT_EQ(current->default_namespace, "dev-ns");
  auto prod = load(file, "prod");
  ASSERT_TRUE(prod) << prod.error().message;
  EXPECT_EQ(prod->server, "https://prod:6443");
  EXPECT_EQ(prod->default_namespace, "prod-ns");
  EXPECT_THAT(prod->description, HasSubstr("(context prod)"));
  EXPECT_EQ(prod->credentials->get(false)->bearer_token.reveal_text(), "prod-token");
}

TEST_F(KubeConfigTest, MissingContextClusterOrUserNameTheFileAndField) {
  const auto user = fmt::format("    token: {}", k_token);
  const auto no_context = write("no-context", kubeconfig(k_plain_cluster, user));
  EXPECT_THAT(error_of(load(no_context, "staging")), HasSubstr(fmt::format("kubeconfig {}: context \"staging\" not found", no_context)));

  const auto wrong_current = write("wrong-current", "current-context: gone\ncontexts: []\n");
  EXPECT_THAT(error_of(load(wrong_current)),
              HasSubstr(fmt::format("kubeconfig {}: current-context \"gone\" not found", wrong_current)));

  const auto no_current = write("no-current", "clusters: []\n");
  EXPECT_THAT(error_of(load(no_current)), HasSubstr("current-context is not set"));

  auto text = kubeconfig(k_plain_cluster, user);
  const auto no_cluster = write("no-cluster", text.replace(text.find("cluster: c1"), 11, "cluster: c9"));
  EXPECT_THAT(error_of(load(no_cluster)),
              HasSubstr(fmt::format("kubeconfig {}: contexts[main].cluster \"c9\" not found", no_cluster)));

  text = kubeconfig(k_plain_cluster, user);
  const auto no_user = write("no-user", text.replace(text.find("user: u1"), 8, "user: u9"));
  EXPECT_THAT(error_of(load(no_user)), HasSubstr(fmt::format("kubeconfig {}: contexts[main].user \"u9\" not found", no_user)));

  const auto no_server = write("no-server", kubeconfig("    insecure-skip-tls-verify: true", user));
  EXPECT_THAT(error_of(load(no_server)), HasSubstr(fmt::format("kubeconfig {}: clusters[c1].cluster.server is missing", no_server)));
}

TEST_F(KubeConfigTest, UnsupportedOrMalformedUsersAreClearErrorsWithoutSecrets) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"    auth-provider: {name: gcp}", "users[u1].user.auth-provider is not supported"},
      {fmt::format("    username: admin\n    password: {}", k_token), "users[u1].user.username is not supported"},
      {fmt::format("    client-certificate-data: {}", base64(k_cert_pem)), "users[u1].user.client-key"},
      {fmt::format("    client-key-data: {}", base64(k_key_pem)), "users[u1].user.client-certificate"},
      {fmt::format("    client-certificate-data: {}\n    client-key-data: \"{}!!\"", base64(k_cert_pem), k_token),
       "users[u1].user.client-key-data is not valid base64"},
      {"    tokenFile: missing-token", "users[u1].user.tokenFile"},
      {"    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}", "v1alpha1"},
      {"    exec: {apiVersion: client.authentication.k8s.io/v1, command: x, interactiveMode: Always}", "Always"},
      {"    exec: {apiVersion: client.authentication.k8s.io/v1}", "users[u1].user.exec.command is missing"},
  };
  for (const auto& [user, expected] : cases) {
    SCOPED_TRACE(user);
    const auto file = write("config", kubeconfig(k_plain_cluster, user));
    const auto message = error_of(load(file));
    EXPECT_THAT(message, HasSubstr(fmt::format("kubeconfig {}: ", file)));
    EXPECT_THAT(message, HasSubstr(expected));
  }
  const auto not_yaml = write("broken", fmt::format("users: [{{name: u, user: {{token: {}}}\n", k_token));
  EXPECT_THAT(error_of(load(not_yaml)), HasSubstr(fmt::format("kubeconfig {}: not valid YAML", not_yaml)));
}

// KUBECONFIG=a:b: the first file that sets a cluster, user, context or current-context wins.
TEST_F(KubeConfigTest, KubeconfigListIsMergedFirstFileWins) {
  const auto a = write("a", R"(
current-context: shared
clusters:
- {name: c1, cluster: {server: "https://from-a:6443"}}
users:
- {name: u1, user: {token: token-from-a}}
)");
  const auto b = write("b", R"(
current-context: only-b
clusters:
- {name: c1, cluster: {server: "https://from-b:6443"}}
- {name: c2, cluster: {server: "https://c2-from-b:6443"}}
users:
- {name: u1, user: {token: token-from-b}}
contexts:
- {name: shared, context: {cluster: c1, user: u1, namespace: ns-b}}
- {name: only-b, context: {cluster: c2, user: u1}}
)");
  m_env["KUBECONFIG"] = fmt::format("{}::{}:{}:{}", (m_dir / "missing").string(), a, b, a);
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://from-a:6443");  // current-context and c1 from a
  EXPECT_EQ(connection->default_namespace, "ns-b");
  EXPECT_EQ(connection->credentials->get(false)->bearer_token.reveal_text(), "token-from-a");
  EXPECT_EQ(connection->description, fmt::format("kubeconfig {} (context shared)", b));

  auto other = load("", "only-b");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->server, "https://c2-from-b:6443");
  EXPECT_EQ(other->credentials->get(false)->bearer_token.reveal_text(), "token-from-a");

  m_env["KUBECONFIG"] = fmt::format("{}:{}", b, a);
  auto reversed = load("");
  ASSERT_TRUE(reversed) << reversed.error().message;
  EXPECT_EQ(reversed->server, "https://c2-from-b:6443");
}

TEST_F(KubeConfigTest, HomeKubeConfigIsTheLastResortAndItsAbsenceIsAClearError) {
  m_env["HOME"] = m_dir.path().string();
  const auto missing = error_of(load(""));
  EXPECT_THAT(missing, HasSubstr("no Kubernetes configuration"));
  EXPECT_THAT(missing, HasSubstr((m_dir / ".kube/config").string()));

  write(".kube/config", kubeconfig(k_plain_cluster, "    token: home-token"));
  auto connection = load("");
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://kube.example:6443");

  m_env["KUBECONFIG"] = (m_dir / "nowhere").string();  // KUBECONFIG set: ~/.kube/config is not read
  EXPECT_THAT(error_of(load("")), HasSubstr((m_dir / "nowhere").string()));
}

TEST_F(KubeConfigTest, ExplicitKubeconfigMustExistAndBeatsInClusterAndKubeconfigVariable) {
  m_env["KUBERNETES_SERVICE_HOST"] = "10.0.0.1";
  m_env["KUBERNETES_SERVICE_PORT"] = "443";
  m_env["KUBECONFIG"] = write("env-config", kubeconfig("    server: https://from-env", "    token: t"));
  const auto missing = (m_dir / "missing.yaml").string();
  EXPECT_THAT(error_of(load(missing)), HasSubstr(fmt::format("kubeconfig {}: cannot be read", missing)));
  auto connection = load(write("explicit", kubeconfig("    server: https://explicit", "    token: t")));
  ASSERT_TRUE(connection) << connection.error().message;
  EXPECT_EQ(connection->server, "https://explicit");
}

// docs/fuzzing.md, kubeconfig finding K3: an entry without its body key (`clusver:` for `cluster:`)
// kept yaml-cpp's invalid node, whose IsMap() threw YAML::InvalidNode out of the loader.
TEST_F(KubeConfigTest, AnEntryWithoutItsBodyIsAnErrorNotAThrow) {
  const auto no_body = write("no-body", "clusters:\n- name: c1\n  clusver: {server: https://x}\n"
                                        "contexts:\n- name: main\n  context: {cluster: c1}\ncurrent-context: main\n");
  EXPECT_THAT(error_of(load(no_body)), HasSubstr(fmt::format("kubeconfig {}: clusters[c1].cluster.server is missing", no_body)));
  const auto no_context = write("no-context", "clusters:\n- name: c1\n  cluster: {server: https://x}\n"
                                              "contexts:\n- name: main\n  contxt: {cluster: c1}\ncurrent-context: main\n");
  EXPECT_THAT(error_of(load(no_context)), HasSubstr("contexts[main].context is missing"));
}

// Names and values a kubeconfig holds are quoted in its errors; a key-shaped run among them (a
// token pasted into the wrong field) is not (fuzz finding K4: context, cluster and user names,
// exec.apiVersion and exec.interactiveMode were quoted whole).
TEST_F(KubeConfigTest, ErrorsNeverQuoteAKeyShapedRunOfTheFile) {
  const std::string run(64, 'c');
  const auto user = fmt::format("    token: {}", k_token);
  std::vector<std::filesystem::path> files;
  files.push_back(write("current", "current-context: " + run + "\ncontexts: []\n"));
  auto text = kubeconfig(k_plain_cluster, user);
  files.push_back(write("cluster", text.replace(text.find("cluster: c1"), 11, "cluster: " + run)));
  text = kubeconfig(k_plain_cluster, user);
  files.push_back(write("user", text.replace(text.find("user: u1"), 8, "user: " + run)));
  files.push_back(write("exec-version", kubeconfig(k_plain_cluster, "    exec: {command: x, apiVersion: " + run + "}")));
  files.push_back(write("exec-mode", kubeconfig(k_plain_cluster, "    exec: {command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: " + run + "}")));
  for (const auto& file : files) {
    const std::string error = error_of(load(file));
    EXPECT_FALSE(error.empty()) << file;
    EXPECT_EQ(error.find(run.substr(0, 16)), std::string::npos) << error;
    EXPECT_NE(error.find(file.string()), std::string::npos) << "still names the file: " << error;
  }
  EXPECT_EQ(error_of(load(files[0], run)).find(run.substr(0, 16)), std::string::npos);
}

}  // namespace
}  // namespace keyd::adapters
