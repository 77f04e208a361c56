// How the keyd binary reaches the API server: kubeconfig variants (token, tokenFile, client
// certificate files and data, exec credential plugin, several files in KUBECONFIG, the config's
// kubernetes.kubeconfig and context), the in-cluster service account, and a user without the
// permissions keyd needs.
#include "kube_cli_support.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <set>

namespace keyd::testing {
namespace {

using nlohmann::json;

const json k_allow_all = json::array({{{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}}});

class KubeAuth : public KubeCli {
 protected:
  // rotate succeeds, and every API request keyd made was authenticated as `user` by `auth`.
  void rotate_as(const std::string& user, const std::string& auth, const std::map<std::string, std::string>& e) {
    kube.clear_requests();
    const json report = ok_json({"rotate"}, e);
    EXPECT_EQ(report.value("/targets/0/outcome"_json_pointer, ""), "changed") << report.dump();
    EXPECT_EQ(secret_key_text(), fetched_key());
    std::set<std::string> seen;
    for (const auto& r : kube.requests()) seen.insert(r.value("user", "?") + " by " + r.value("auth", "?"));
    EXPECT_EQ(seen, (std::set<std::string>{user + " by " + auth}));
  }
};

TEST_F(KubeAuth, InlineToken) { rotate_as("admin", "bearer", env()); }

TEST_F(KubeAuth, TokenFileRelativeToTheKubeconfig) {
  std::filesystem::create_directories(dir / "kube");
  write_file(dir / "kube" / "token", "\n" + kube.token_for("file-user", k_allow_all) + "\n");
  write_kubeconfig({{"tokenFile", "token"}}, "kube/config");
  rotate_as("file-user", "bearer", env({{"KUBECONFIG", (dir / "kube" / "config").string()}}));
}

TEST_F(KubeAuth, InlineTokenWinsOverTokenFile) {
  write_kubeconfig({{"token", kube.token_for("inline-user", k_allow_all)}, {"tokenFile", "no-such-file"}});
  rotate_as("inline-user", "bearer", env());
}

TEST_F(KubeAuth, ExecCredentialPlugin) {
  const std::string token = kube.token_for("plugin-user", k_allow_all);
  write_file(dir / "plugin.sh", "#!/bin/sh\n"
                                "printf '%s' \"$KUBERNETES_EXEC_INFO\" > exec-info.json\n"
                                "printf '%s %s' \"$1\" \"$PLUGIN_MODE\" > exec-args.txt\n"
                                "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                                "\"status\":{\"token\":\"" + token + "\"}}'\n");
  ::chmod((dir / "plugin.sh").c_str(), 0700);
  write_kubeconfig({{"exec",
                     {{"apiVersion", "client.authentication.k8s.io/v1"},
                      {"command", "./plugin.sh"},
                      {"args", {"--cluster=double"}},
                      {"env", {{{"name", "PLUGIN_MODE"}, {"value", "test"}}}},
                      {"interactiveMode", "Never"}}}});
  rotate_as("plugin-user", "bearer", env());
  const json info = json::parse(read_file(dir / "exec-info.json"));
  EXPECT_EQ(info["apiVersion"], "client.authentication.k8s.io/v1");
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(read_file(dir / "exec-args.txt"), "--cluster=double test");
}

KubeDoubleOptions cert_options() {
  KubeDoubleOptions options;
  options.client_certs = true;
  return options;
}

// The fixture's double does not take client certificates; this one does.
class KubeCertAuth : public KubeCli {
 protected:
  KubeCertAuth() : KubeCli(cert_options()) {
    kube.control("POST", "users", {{"name", "keyd test client"}, {"rules", k_allow_all}});
  }
  void rotate_with_cert(const json& user) {
    write_kubeconfig(user);
    kube.clear_requests();
    const json report = ok_json({"rotate"});
    EXPECT_EQ(report.value("/targets/0/outcome"_json_pointer, ""), "changed") << report.dump();
    EXPECT_EQ(secret_key_text(), fetched_key());
    for (const auto& r : kube.requests()) {
      EXPECT_EQ(r.value("auth", ""), "client-cert") << r.dump();
      EXPECT_EQ(r.value("user", ""), "keyd test client") << r.dump();
    }
  }
};

TEST_F(KubeCertAuth, ClientCertificateFiles) {
  rotate_with_cert({{"client-certificate", kube.client_cert_file()}, {"client-key", kube.client_key_file()}});
}

TEST_F(KubeCertAuth, ClientCertificateData) {
  rotate_with_cert({{"client-certificate-data", base64_encode(read_file(kube.client_cert_file()))},
                    {"client-key-data", base64_encode(read_file(kube.client_key_file()))}});
}

TEST_F(KubeAuth, SeveralFilesInKubeconfigAreMerged) {
  write_file(dir / "clusters.yaml", "apiVersion: v1\nkind: Config\ncurrent-context: double\n"
                                    "clusters:\n- name: double\n  cluster:\n    server: " + kube.address() +
                                        "\n    certificate-authority-data: " + base64_encode(read_file(kube.ca_file())) +
                                        "\ncontexts:\n- name: double\n  context: {cluster: double, user: merged}\n");
  write_file(dir / "users.yaml", "apiVersion: v1\nkind: Config\nusers:\n- name: merged\n  user: {token: " +
                                     kube.token_for("merged-user", k_allow_all) + "}\n");
  rotate_as("merged-user", "bearer",
            env({{"KUBECONFIG", (dir / "missing.yaml").string() + ":" + (dir / "clusters.yaml").string() + ":" +
                                    (dir / "users.yaml").string()}}));
}

TEST_F(KubeAuth, ConfigNamesTheKubeconfigAndContext) {
  write_file(dir / "other.yaml", "apiVersion: v1\nkind: Config\ncurrent-context: broken\n"
                                 "clusters:\n- name: double\n  cluster:\n    server: " + kube.address() +
                                     "\n    certificate-authority: " + kube.ca_file() +
                                     "\n- name: nowhere\n  cluster: {server: 'https://127.0.0.1:1'}\n"
                                     "users:\n- name: u\n  user: {token: " + kube.token_for("ctx-user", k_allow_all) +
                                     "}\ncontexts:\n- name: broken\n  context: {cluster: nowhere, user: u}\n"
                                     "- name: good\n  context: {cluster: double, user: u}\n");
  write_config(k_kube_target, "kubernetes: {kubeconfig: other.yaml, context: good}\n");
  rotate_as("ctx-user", "bearer", env({{"KUBECONFIG", (dir / "no-such-kubeconfig").string()}}));
}

TEST_F(KubeAuth, InClusterServiceAccount) {
  std::filesystem::create_directories(dir / "sa");
  write_file(dir / "sa" / "token", kube.token_for("system:serviceaccount:ipfs-system:keyd", k_allow_all));
  write_file(dir / "sa" / "ca.crt", read_file(kube.ca_file()));
  write_file(dir / "sa" / "namespace", "ipfs-system\n");
  // No namespace in the target: the pod's namespace applies.
  write_config("      - type: kubernetes\n        secret: ipfs-swarm-key\n"
               "        restart: [{kind: StatefulSet, name: ipfs}]\n");
  rotate_as("system:serviceaccount:ipfs-system:keyd", "bearer",
            env({{"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                 {"KUBERNETES_SERVICE_PORT", std::to_string(kube.port())},
                 {"KEYD_SERVICEACCOUNT_DIR", (dir / "sa").string()},
                 {"KUBECONFIG", (dir / "no-such-kubeconfig").string()}}));
}

TEST_F(KubeAuth, MissingPermissionsAreNamedAndNothingIsWritten) {
  const json rules = json::array({
      {{"verbs", {"get", "update"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}, {"resourceNames", {"ipfs-swarm-key"}}},
      {{"verbs", {"create"}}, {"apiGroups", {""}}, {"resources", {"secrets", "events"}}},
      {{"verbs", {"get"}}, {"apiGroups", {"apps"}}, {"resources", {"statefulsets"}}, {"resourceNames", {"ipfs"}}},
  });
  write_kubeconfig({{"token", kube.token_for("restricted", rules)}});
  const std::string generation = statefulset()["metadata"]["generation"].dump();
  const auto r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("cannot patch statefulsets.apps \"ipfs\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missing Kubernetes permissions in namespace ipfs-system"), std::string::npos) << r.out;
  EXPECT_TRUE(secret().is_null()) << "the permission check comes before any write";
  EXPECT_EQ(statefulset()["metadata"]["generation"].dump(), generation);
}

TEST_F(KubeAuth, UnknownTokenIsAnAuthenticationError) {
  write_kubeconfig({{"token", "kd-not-a-token-the-double-knows"}});
  const auto r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("401"), std::string::npos) << r.out << r.err;
  EXPECT_EQ((r.out + r.err).find("kd-not-a-token"), std::string::npos) << "the token must not be echoed";
}

TEST_F(KubeAuth, MissingKubeconfigIsAConfigurationError) {
  const auto r = keyd({"rotate"}, env({{"KUBECONFIG", (dir / "absent").string()}}));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no Kubernetes configuration"), std::string::npos) << r.err;
  // Targets are built before the use case runs: no version was stored, nothing was audited.
  EXPECT_FALSE(std::filesystem::exists(dir / ".keyd/audit.jsonl"));
}

}  // namespace
}  // namespace keyd::testing
