// The no-leak guarantee with a kubernetes target: rotate/sync/rollback/import/history/fetch with
// debug logging, over an inline token, a tokenFile and an exec plugin, through a 409, a timed-out
// rollout with rollback, a 403 and an API error that echoes the key back. No key (hex in either
// case, base64 of the key, base64 of the key file as the Secret carries it, raw bytes) and no token
// may appear in any output, log or audit line.
#include "key_forms.hpp"
#include "kube_cli_support.hpp"

#include <sys/stat.h>

namespace keyd::testing {
namespace {

using nlohmann::json;

const json k_allow_all = json::array({{{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}}});

// What must never be printed for one key file.
std::vector<std::string> forms_of(const std::string& key_file_text) {
  const KeyForms f = forms_of_key_file(key_file_text);
  // The key file's first 30 bytes are the header, the same for every key: from base64 character
  // 40 on, the Secret's data value encodes only the key's hex digits.
  const std::string data_value = base64_encode(key_file_text);
  return {f.hex, f.upper_hex, f.base64, f.raw, data_value.substr(40, 60)};
}

class KubeNoLeak : public KubeCli {
 protected:
  CommandResult run(std::vector<std::string> args, int expected_exit = 0, bool key_on_stdout = false) {
    auto r = keyd(std::move(args), env({{"KEYD_LOG_LEVEL", "debug"}}));
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    if (!key_on_stdout) m_transcript += r.out;
    m_transcript += r.err;
    m_saw_kube_debug = m_saw_kube_debug || r.err.find("[debug] kube") != std::string::npos;
    return r;
  }

  std::string m_transcript;
  bool m_saw_kube_debug = false;
};

TEST_F(KubeNoLeak, NoKeyOrTokenInOutputLogsOrAudit) {
  std::vector<std::string> tokens{kube.admin_token()};

  // 1. inline token: the whole flow, with a 409 on the Secret on the way.
  run({"rotate"});
  kube.control("POST", "faults",
               {{"method", {"PATCH", "PUT"}}, {"path", "/secrets/ipfs-swarm-key$"}, {"status", 409}, {"times", 2}});
  run({"rotate", "--output", "json"});
  run({"sync"});
  run({"history", "--output", "json"});
  run({"fetch", "--version", "1", "--out", "v1.key"});
  run({"fetch", "--out", "-"}, 0, /*key_on_stdout=*/true);
  run({"rollback", "--to-version", "1"});

  // 2. tokenFile, and an API server that echoes the key back in an error (422 with the body).
  tokens.push_back(kube.token_for("file-user", k_allow_all));
  write_file(dir / "token", tokens.back() + "\n");
  write_kubeconfig({{"tokenFile", "token"}});
  ASSERT_EQ(run_keyd({"generate", "--out", "imported.key"}, dir.path()).exit_code, 0);
  const std::string imported = read_file(dir / "imported.key");
  const auto echoed = forms_of(imported);
  kube.control("POST", "faults",
               {{"method", {"PATCH", "PUT"}},  // the fresh version's patch, then the read-and-update
                {"path", "/secrets/ipfs-swarm-key$"},
                {"status", 422},
                {"times", 2},
                {"message", "Secret \"ipfs-swarm-key\" is invalid: data[swarm.key]: Invalid value: \"" +
                                base64_encode(imported) + "\" (" + echoed[0] + ")"}});
  const auto rejected = run({"import", "imported.key"}, 1);
  EXPECT_NE(rejected.out.find("Invalid value"), std::string::npos) << "the echoing error must reach keyd: " << rejected.out;
  run({"sync"});

  // 3. exec plugin; a rollout that times out and is rolled back.
  tokens.push_back(kube.token_for("plugin-user", k_allow_all));
  write_file(dir / "plugin.sh", "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" + tokens.back() + "\"}}'\n");
  ::chmod((dir / "plugin.sh").c_str(), 0700);
  write_kubeconfig({{"exec", {{"apiVersion", "client.authentication.k8s.io/v1"}, {"command", "./plugin.sh"}}}});
  write_config(std::string(k_kube_target) + "        timeout: 1s\n        rollback_on_failure: true\n");
  kube.control("POST", "controller", {{"stuck", true}});
  run({"rotate", "--output", "json"}, 1);
  kube.control("POST", "controller", {{"stuck", false}});
  wait_ready();

  // 4. a user without the permissions.
  tokens.push_back(kube.token_for("nobody", json::array()));
  write_kubeconfig({{"token", tokens.back()}});
  run({"rotate"}, 1);
  write_kubeconfig({{"token", kube.admin_token()}});
  run({"history"});
  run({"audit", "verify"});

  EXPECT_TRUE(m_saw_kube_debug) << "debug logging was not active";
  const std::string audit = read_file(dir / ".keyd/audit.jsonl");
  std::vector<std::string> keys{imported};
  const int versions = static_cast<int>(ok_json({"history"}).size());
  for (int v = 1; v <= versions; ++v) keys.push_back(fetched_key(v));
  ASSERT_GE(keys.size(), 8U);
  for (const auto& key : keys) {
    for (const auto& form : forms_of(key)) {
      EXPECT_EQ(m_transcript.find(form), std::string::npos) << "key material in the output: " << form;
      EXPECT_EQ(audit.find(form), std::string::npos) << "key material in the audit trail";
    }
  }
  for (const auto& token : tokens) {
    EXPECT_EQ(m_transcript.find(token), std::string::npos) << "token in the output";
    EXPECT_EQ(audit.find(token), std::string::npos) << "token in the audit trail";
  }
}

}  // namespace
}  // namespace keyd::testing
