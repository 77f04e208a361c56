// keyd bundle with key_delivery.mode agent, end to end: the init container the bundle renders —
// its args and the agent's keyd.yaml from the ConfigMap, only the in-pod paths and the Vault
// address moved to the test's directory and the Vault double — run with the built keyd against the
// Vault double (Kubernetes auth, role keyd-reader, policies/keyd-reader.hcl). It writes the stored
// key byte-equal with mode 0600 and nothing else; no output carries the key.
#include "agent_cli_support.hpp"

#include <yaml-cpp/yaml.h>

namespace keyd::testing {
namespace {

namespace fs = std::filesystem;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

YAML::Node find_object(const fs::path& file, std::string_view kind) {
  for (const auto& doc : YAML::LoadAll(read_file(file))) {
    if (doc.IsMap() && doc["kind"].as<std::string>() == kind) return doc;
  }
  ADD_FAILURE() << "no " << kind << " in " << file;
  return YAML::Node();
}

class BundleAgentE2E : public AgentCli {
 protected:
  // The pod's paths, moved into the test directory.
  std::string in_dir(std::string text) const {
    text = replace_all(std::move(text), "/var/run/secrets/vault/token", (dir / "sa-token").string());
    text = replace_all(std::move(text), "/etc/keyd/keyd.yaml", (dir / "agent-rendered.yaml").string());
    return replace_all(std::move(text), "/data/ipfs", (dir / "data/ipfs").string());
  }
};

TEST_F(BundleAgentE2E, TheRenderedInitContainerFetchesTheStoredKeyFromVault) {
  const std::string key = rotate();
  // Namespace and name as the double's role is bound: service account ipfs-node in namespace ipfs.
  write_file(dir / "values.yaml",
             "namespace: ipfs\nname: ipfs\nkey_delivery: {mode: agent, agent: {role: keyd-reader}}\n"
             "keyd: {vault: {address: \"https://vault.vault.svc:8200\"}}\n");
  const auto rendered = run_keyd({"bundle", "--values", "values.yaml", "--out", "deploy"}, dir.path());
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;

  // The agent's keyd.yaml from its ConfigMap, pointed at the double.
  std::string config = find_object(dir / "deploy/ipfs-agent.yaml", "ConfigMap")["data"]["keyd.yaml"].as<std::string>();
  ASSERT_NE(config.find("address: https://vault.vault.svc:8200"), std::string::npos) << config;
  config = replace_all(config, "https://vault.vault.svc:8200", vault.address());
  write_file(dir / "agent-rendered.yaml", in_dir(config));

  // The init container's args, as rendered.
  const YAML::Node pod = find_object(dir / "deploy/ipfs-statefulset.yaml", "StatefulSet")["spec"]["template"]["spec"];
  ASSERT_EQ(pod["initContainers"][1]["name"].as<std::string>(), "swarm-key");
  std::vector<std::string> args;
  for (const auto& arg : pod["initContainers"][1]["args"]) args.push_back(in_dir(arg.as<std::string>()));
  if (::geteuid() != 0) {  // only root may give the file to uid 1000: keep the test's own ids
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--uid") args[i + 1] = std::to_string(::geteuid());
      if (args[i] == "--gid") args[i + 1] = std::to_string(::getegid());
    }
  }
  fs::create_directories(dir / "data/ipfs");  // the repository volume, as init-repo leaves it
  vault.clear_requests();
  const auto r = run_keyd(args, dir.path(), {{"HOSTNAME", "ipfs-0"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const fs::path sink = dir / "data/ipfs/swarm.key";
  EXPECT_EQ(read_file(sink), key);
  struct stat st {};
  ASSERT_EQ(::stat(sink.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1000U);
    EXPECT_EQ(st.st_gid, 100U);
  }
  EXPECT_EQ(requests_to("/v1/auth/kubernetes/login"), 1);
  EXPECT_TRUE(fs::exists(dir / "data/ipfs/keyd-audit.jsonl"));
  for (const auto& text : {r.out, r.err, read_file(dir / "data/ipfs/keyd-audit.jsonl")}) {
    EXPECT_EQ(text.find(hex_of(key)), std::string::npos);
  }
}

}  // namespace
}  // namespace keyd::testing
