// keyd against a TLS and an mTLS Vault double: VAULT_CACERT, VAULT_CLIENT_CERT/KEY and
// VAULT_SKIP_VERIFY are honoured, and store.vault.tls in the config wins over them.
#include "vault_cli_support.hpp"

namespace keyd::testing {
namespace {

// Certificates made by tests/conformance/make-certs.sh (CA, server for 127.0.0.1, client, other CA).
class Pki {
 public:
  Pki() {
    const auto r = run_command({"/bin/bash", std::string(KEYD_SOURCE_DIR) + "/tests/conformance/make-certs.sh",
                                m_dir.path().string()},
                               m_dir.path());
    if (r.exit_code != 0) throw std::runtime_error("make-certs.sh failed: " + r.err);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (m_dir / name).string(); }

 private:
  TempDir m_dir;
};

class VaultTlsCli : public ::testing::Test {
 protected:
  explicit VaultTlsCli(bool mutual = false)
      : vault(VaultDoubleOptions{.tls_cert_file = pki.file("server.crt"),
                                 .tls_key_file = pki.file("server.key"),
                                 .client_ca_file = mutual ? pki.file("ca.crt") : std::string(),
                                 .config = nullptr,
                                 .root_token = {}}) {
    write_config("");
  }

  void write_config(const std::string& tls_lines) {
    write_file(dir / "keyd.yaml", "store:\n  backend: vault\n  vault:\n    max_attempts: 1\n" + tls_lines +
                                      "swarms: [{name: ipfs-overlay, path: ipfs-overlay/swarm-key}]\n"
                                      "audit: {file: .keyd/audit.jsonl}\n");
  }
  CommandResult rotate(std::map<std::string, std::string> env) {
    env.emplace("VAULT_ADDR", vault.address());
    env.emplace("VAULT_TOKEN", vault.root_token());
    return run_keyd({"rotate", "--config", "keyd.yaml"}, dir.path(), env);
  }

  Pki pki;
  VaultDouble vault;
  TempDir dir;
};

class VaultMtlsCli : public VaultTlsCli {
 protected:
  VaultMtlsCli() : VaultTlsCli(true) {}
};

TEST_F(VaultTlsCli, CaFromEnvironmentOrConfigAndSkipVerify) {
  ASSERT_TRUE(vault.address().starts_with("https://127.0.0.1:"));
  const auto untrusted = rotate({});
  EXPECT_EQ(untrusted.exit_code, 1) << untrusted.err;
  EXPECT_NE(untrusted.err.find(vault.address()), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;

  const auto trusted = rotate({{"VAULT_CACERT", pki.file("ca.crt")}});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(rotate({{"VAULT_CACERT", pki.file("other-ca.crt")}}).exit_code, 1);
  EXPECT_EQ(rotate({{"VAULT_SKIP_VERIFY", "true"}}).exit_code, 0);

  // The config wins over the environment, both ways.
  write_config("    tls: {ca_file: " + pki.file("ca.crt") + "}\n");
  EXPECT_EQ(rotate({{"VAULT_CACERT", pki.file("other-ca.crt")}}).exit_code, 0);
  write_config("    tls: {insecure_skip_verify: false}\n");
  EXPECT_EQ(rotate({{"VAULT_SKIP_VERIFY", "1"}}).exit_code, 1);
}

TEST_F(VaultMtlsCli, ClientCertificateFromEnvironmentOrConfig) {
  const std::map<std::string, std::string> ca{{"VAULT_CACERT", pki.file("ca.crt")}};
  EXPECT_EQ(rotate(ca).exit_code, 1);  // no client certificate: the handshake is refused

  auto with_cert = ca;
  with_cert["VAULT_CLIENT_CERT"] = pki.file("client.crt");
  with_cert["VAULT_CLIENT_KEY"] = pki.file("client.key");
  const auto r = rotate(with_cert);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  write_config("    tls:\n      client_cert_file: " + pki.file("client.crt") + "\n      client_key_file: " +
               pki.file("client.key") + "\n");
  const auto from_config = rotate(ca);
  EXPECT_EQ(from_config.exit_code, 0) << from_config.err;
  bool saw_client_cert = false;
  for (const auto& req : vault.requests()) saw_client_cert = saw_client_cert || !req["client_cert"].is_null();
  EXPECT_TRUE(saw_client_cert);
}

}  // namespace
}  // namespace keyd::testing
