// The Kubernetes side of the agent setup: a restart-only target (no `secret:`) rolls the StatefulSet
// once per new key while the key never lands in a Secret (so never in etcd) — the pods' `keyd agent
// --once` init containers fetch it at start. It needs no permission on Secrets at all.
#include "kube_cli_support.hpp"

namespace keyd::testing {
namespace {

using nlohmann::json;

constexpr const char* k_restart_only_target =
    "      - type: kubernetes\n"
    "        namespace: ipfs-system\n"
    "        restart: [{kind: StatefulSet, name: ipfs}]\n";

class AgentRestartOnly : public KubeCli {
 protected:
  AgentRestartOnly() {
    write_config(k_restart_only_target);
    // The least a restart-only target needs: the StatefulSet (get, patch) and Events. No Secrets.
    const json rules = json::parse(R"([
      {"apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": ["ipfs"], "verbs": ["get", "patch"],
       "namespaces": ["ipfs-system"]},
      {"apiGroups": [""], "resources": ["events"], "verbs": ["create"], "namespaces": ["ipfs-system"]}])");
    write_kubeconfig({{"token", kube.token_for("system:serviceaccount:ipfs-system:keyd", rules)}});
  }

  int secret_requests() {
    int n = 0;
    for (const auto& r : kube.requests()) n += r.value("resource", "") == "secrets" ? 1 : 0;
    return n;
  }
  int generation() { return statefulset()["metadata"]["generation"].get<int>(); }
};

TEST_F(AgentRestartOnly, EachNewKeyRollsTheStatefulSetOnceAndNoSecretIsEverWritten) {
  kube.clear_requests();
  const int start = generation();
  const json first = ok_json({"rotate"});
  EXPECT_EQ(first["targets"][0]["outcome"], "changed");
  EXPECT_EQ(first["targets"][0]["target"], "kubernetes ipfs-system (restart sts/ipfs)");
  EXPECT_EQ(template_fingerprint(), first["fingerprint"]);
  EXPECT_EQ(generation(), start + 1);
  const json status = statefulset()["status"];
  EXPECT_EQ(status.value("updatedReplicas", 0), 3) << status.dump();  // followed to the end

  // The same key again (sync, or a daemon restart): nothing rolls.
  EXPECT_EQ(ok_json({"sync"})["targets"][0]["outcome"], "unchanged");
  EXPECT_EQ(generation(), start + 1);

  // The next key rolls exactly once more.
  const json second = ok_json({"rotate"});
  EXPECT_EQ(template_fingerprint(), second["fingerprint"]);
  EXPECT_EQ(generation(), start + 2);

  EXPECT_EQ(secret_requests(), 0);
  EXPECT_TRUE(kube.objects("", "secrets", k_kube_ns).empty());
  for (const auto& r : kube.requests()) EXPECT_NE(r.value("status", 0), 403) << r.dump();
}

}  // namespace
}  // namespace keyd::testing
