// The no-leak guarantee for the Vault flows: rotate/import/rollback/sync/history/fetch/audit with
// debug logging, over token (environment and file), AppRole and Kubernetes auth. No key (hex in
// either case, base64, raw bytes, key file text) and no credential (tokens, role and secret IDs,
// the service account JWT) may appear in any output, log or audit file.
#include "key_forms.hpp"
#include "vault_cli_support.hpp"

namespace keyd::testing {
namespace {

std::vector<std::string> forms_of(const std::string& key_file_text) {
  const KeyForms f = forms_of_key_file(key_file_text);
  return {f.hex, f.upper_hex, f.base64, f.raw};
}

class VaultNoLeak : public VaultCli {
 protected:
  void run(std::vector<std::string> args, const std::map<std::string, std::string>& base, bool key_on_stdout = false) {
    auto e = base;
    e["KEYD_LOG_LEVEL"] = "debug";
    auto r = keyd(args, e);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (!key_on_stdout) m_transcript += r.out;
    m_transcript += r.err;
    m_saw_http_debug = m_saw_http_debug || r.err.find("[debug] http ") != std::string::npos;
  }
  // Four new versions: rotate, rotate, import, rollback to the first of them.
  void full_flow(const std::map<std::string, std::string>& e) {
    const auto meta = vault.api("GET", "secret/metadata/ipfs-overlay/swarm-key");
    const int base = meta.status == 200 ? meta.body["data"]["current_version"].get<int>() : 0;
    run({"rotate"}, e);
    run({"rotate", "--output", "json"}, e);
    ASSERT_EQ(run_keyd({"generate", "--force", "--out", "imported.key"}, dir.path()).exit_code, 0);
    run({"import", "imported.key"}, e);
    run({"rollback", "--to-version", std::to_string(base + 1)}, e);
    run({"sync"}, e);
    run({"history"}, e);
    run({"history", "--output", "json"}, e);
    run({"fetch", "--version", std::to_string(base + 2), "--out", "v2.key"}, e);
    run({"fetch", "--out", "-"}, e, /*key_on_stdout=*/true);
    run({"audit", "verify"}, e);
  }

  std::string m_transcript;
  bool m_saw_http_debug = false;
};

TEST_F(VaultNoLeak, NoKeyOrCredentialInOutputLogsOrAudit) {
  load_policy("keyd");
  std::vector<std::string> credentials{vault.root_token()};

  // 1. token from VAULT_TOKEN (root)
  full_flow(token_env(vault.root_token()));
  // 2. token from a file (a keyd-policy token), with a bogus VAULT_TOKEN that must stay unused
  const std::string file_token = policy_token({"keyd"});
  credentials.push_back(file_token);
  write_file(dir / "vault-token", file_token + "\n");
  write_config("    auth: {token_file: vault-token}\n");
  full_flow(token_env("hvs.unused-env-token-value"));
  // 3. AppRole
  const auto role = vault.control("POST", "approle/roles", {{"name", "keyd"}, {"policies", {"keyd"}}});
  credentials.push_back(role["role_id"].get<std::string>());
  credentials.push_back(role["secret_id"].get<std::string>());
  write_file(dir / "role-id", credentials[2]);
  write_file(dir / "secret-id", credentials[3]);
  write_config("    auth: {method: approle, role_id_file: role-id, secret_id_file: secret-id}\n");
  full_flow(env());
  // 4. Kubernetes
  vault.control("POST", "kubernetes/roles",
                {{"name", "keyd"}, {"bound_service_account_names", {"keyd"}},
                 {"bound_service_account_namespaces", {"ipfs"}}, {"policies", {"keyd"}}});
  const std::string jwt = service_account_jwt("keyd", "ipfs");
  credentials.push_back(jwt);
  write_file(dir / "sa-token", jwt);
  write_config("    auth: {method: kubernetes, role: keyd, jwt_file: sa-token}\n");
  full_flow(env());
  EXPECT_TRUE(m_saw_http_debug) << "debug logging of HTTP calls was not on, the test proves nothing";

  // Every key Vault holds (4 flows × 4 versions; the window keeps the last 10).
  const int current = stored_metadata()["current_version"].get<int>();
  ASSERT_EQ(current, 16);
  std::vector<std::vector<std::string>> keys;
  for (int v = current - 9; v <= current; ++v) keys.push_back(forms_of(stored_data(v)["data"]["swarm.key"]));

  std::vector<std::pair<std::string, std::string>> haystacks{{"command output and logs", m_transcript}};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / ".keyd")) {
    if (!entry.is_regular_file() || entry.path() == dir / ".keyd/ipfs/swarm.key") continue;  // the target holds the key
    haystacks.emplace_back(entry.path().string(), read_file(entry.path()));
  }
  ASSERT_GE(haystacks.size(), 2U);
  for (const auto& [name, text] : haystacks) {
    for (const auto& forms : keys) {
      for (const auto& form : forms) EXPECT_EQ(text.find(form), std::string::npos) << name << " holds a key";
    }
    EXPECT_EQ(text.find("/key/swarm/psk/1.0.0/"), std::string::npos) << name << " holds a key file";
    for (const auto& credential : credentials) {
      EXPECT_EQ(text.find(credential), std::string::npos) << name << " holds a credential";
    }
    EXPECT_EQ(text.find("hvs.unused-env-token-value"), std::string::npos) << name << " holds VAULT_TOKEN";
  }
}

}  // namespace
}  // namespace keyd::testing
