// The keyd binary with a file store and a kubernetes target against the kube-apiserver double:
// rotation end to end (Secret, annotations, rollout), an idempotent second sync, a 409 on the
// Secret, a rollout that never completes (timeout, rollback), progress on a terminal and in logs.
#include "kube_cli_support.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

namespace keyd::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST_F(KubeCli, RotateDeliversTheKeyIntoTheSecretAndRollsTheStatefulSet) {
  const json report = ok_json({"rotate"});
  ASSERT_EQ(report["version"], 1);
  ASSERT_EQ(report["targets"].size(), 1U);
  EXPECT_EQ(report["targets"][0]["outcome"], "changed");
  EXPECT_NE(report["targets"][0]["target"].get<std::string>().find("ipfs-system/ipfs-swarm-key"), std::string::npos)
      << report.dump();
  const std::string fingerprint = report["fingerprint"].get<std::string>();

  // The Secret holds exactly the stored key file, and says what it is without carrying it.
  const json s = secret();
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s.value("type", ""), "Opaque");
  EXPECT_EQ(secret_key_text(), fetched_key());
  EXPECT_EQ(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "keyd");
  const json annotations = s["metadata"]["annotations"];
  EXPECT_EQ(annotations["keyd.io/fingerprint"], fingerprint) << annotations.dump();
  EXPECT_EQ(annotations["keyd.io/store-version"], "1");
  EXPECT_EQ(annotations["keyd.io/store-path"], "ipfs-overlay/swarm-key");

  // The pod template carries the key's fingerprint, and the rollout went to the end.
  EXPECT_EQ(template_fingerprint(), fingerprint);
  const json status = statefulset()["status"];
  EXPECT_EQ(status.value("updatedReplicas", 0), 3) << status.dump();
  EXPECT_EQ(status.value("readyReplicas", 0), 3) << status.dump();
  EXPECT_EQ(status.value("currentRevision", ""), status.value("updateRevision", "")) << status.dump();
  int on_new_key = 0;
  for (const auto& pod : kube.objects("", "pods", k_kube_ns)) {
    const json pod_annotations = pod["metadata"].value("annotations", json::object());
    on_new_key += pod_annotations.value(k_template_annotation, "") == fingerprint ? 1 : 0;
  }
  EXPECT_EQ(on_new_key, 3);

  // kubectl describe sts ipfs shows the rotation.
  int events = 0;
  for (const auto& e : kube.objects("", "events", k_kube_ns)) {
    if (e.value("reason", "") == "SwarmKeyRotated" && e["involvedObject"].value("name", "") == "ipfs") ++events;
  }
  EXPECT_EQ(events, 1);
  ok({"audit", "verify"});
}

TEST_F(KubeCli, SecondSyncWritesNothingAndReportsUnchanged) {
  const json first = ok_json({"rotate"});
  const std::string generation = statefulset()["metadata"]["generation"].dump();
  kube.clear_requests();

  const json again = ok_json({"sync"});
  EXPECT_EQ(again["version"], first["version"]);
  EXPECT_EQ(again["targets"][0]["outcome"], "unchanged");
  for (const auto& r : kube.requests()) {
    const std::string method = r.value("method", "");
    const std::string resource = r.value("resource", "");
    EXPECT_TRUE(method == "GET" || (method == "POST" && (resource == "selfsubjectrulesreviews" ||
                                                         resource == "selfsubjectaccessreviews")))
        << "a second sync must not write: " << r.dump();
  }
  EXPECT_EQ(statefulset()["metadata"]["generation"].dump(), generation);
  EXPECT_EQ(template_fingerprint(), first["fingerprint"]);
}

TEST_F(KubeCli, ConflictOnTheSecretIsRetriedWithTheFreshResourceVersion) {
  ok({"rotate"});
  // The fresh version's one-request patch meets a 409, so keyd reads the Secret and updates it
  // with its resourceVersion, which meets a 409 too: read again, update again.
  kube.control("POST", "faults", {{"method", "PATCH"}, {"path", "/secrets/ipfs-swarm-key$"}, {"status", 409}, {"times", 1}});
  kube.control("POST", "faults", {{"method", "PUT"}, {"path", "/secrets/ipfs-swarm-key$"}, {"status", 409}, {"times", 1}});
  kube.clear_requests();
  const json second = ok_json({"rotate"});
  EXPECT_EQ(second["version"], 2);
  EXPECT_EQ(secret_key_text(), fetched_key());
  std::vector<int> put_statuses;
  for (const auto& r : requests_with({"PUT"})) put_statuses.push_back(r.value("status", 0));
  EXPECT_EQ(put_statuses, (std::vector<int>{409, 200}));
}

TEST_F(KubeCli, RolloutThatNeverCompletesTimesOutWithTheLastStatus) {
  write_config(std::string(k_kube_target) + "        timeout: 2s\n");
  kube.control("POST", "controller", {{"stuck", true}});
  const auto start = std::chrono::steady_clock::now();
  const auto r = keyd({"rotate"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_GE(elapsed, 2s);
  EXPECT_LT(elapsed, 20s);
  EXPECT_NE(r.out.find("failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rollout not complete after 2000 ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pods on the new key"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 1 target(s) failed; version 1 is stored"), std::string::npos) << r.err;
  // The key did reach the Secret and the template; a later `keyd sync` just follows the rollout.
  EXPECT_EQ(secret_key_text(), fetched_key());
}

TEST_F(KubeCli, FailedRolloutWithRollbackOnFailurePutsThePreviousKeyBack) {
  const json first = ok_json({"rotate"});
  const std::string v1 = fetched_key();
  write_config(std::string(k_kube_target) + "        timeout: 2s\n        rollback_on_failure: true\n");
  kube.control("POST", "controller", {{"stuck", true}});

  // Once keyd has put the previous key back on the template, the pods may come up again.
  std::thread unstick([this, fp = first["fingerprint"].get<std::string>()] {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool rotated = false;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string current = template_fingerprint();
      rotated = rotated || current != fp;
      if (rotated && current == fp) break;
      std::this_thread::sleep_for(20ms);
    }
    kube.control("POST", "controller", {{"stuck", false}});
  });
  const auto r = keyd({"rotate", "--output", "json"});
  unstick.join();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["version"], 2);
  EXPECT_EQ(report["targets"][0]["outcome"], "failed");
  ASSERT_TRUE(report.contains("rollback")) << report.dump();
  EXPECT_EQ(report["rollback"]["version"], 3);
  EXPECT_EQ(report["rollback"]["reason"], "rollback");
  EXPECT_EQ(report["rollback"]["fingerprint"], first["fingerprint"]);
  EXPECT_EQ(report["rollback"]["targets"][0]["outcome"], "changed") << report.dump();

  std::vector<std::string> reasons;
  for (const auto& row : ok_json({"history"})) reasons.push_back(row["reason"].get<std::string>());
  EXPECT_EQ(reasons, (std::vector<std::string>{"rotate", "rotate", "rollback"}));
  EXPECT_EQ(fetched_key(), v1);
  EXPECT_EQ(secret_key_text(), v1);
  EXPECT_EQ(template_fingerprint(), first["fingerprint"]);
  const std::string audit = read_file(dir / ".keyd/audit.jsonl");
  EXPECT_NE(audit.find("rollback"), std::string::npos);
  ok({"audit", "verify"});
}

TEST_F(KubeCli, ProgressIsLoggedOncePerDistinctLineWhenNotOnATerminal) {
  const auto r = ok({"rotate"}, env({{"KEYD_LOG_LEVEL", "info"}}));
  EXPECT_NE(r.err.find("keyd: [info] ipfs: 3/3 pods on the new key\n"), std::string::npos) << r.err;
  std::string previous;
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = r.err.find("[info] ipfs: ", at)) != std::string::npos; ++at) {
    const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
    EXPECT_NE(line, previous) << r.err;
    previous = line;
    ++lines;
  }
  EXPECT_GE(lines, 1U);
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

TEST_F(KubeCli, ProgressRewritesOneLineOnATerminal) {
  if (!std::filesystem::exists("/usr/bin/script")) GTEST_SKIP() << "util-linux script(1) is needed for a pty";
  // script(1) runs keyd on a pseudo-terminal and copies everything it shows to its stdout.
  const std::string command = std::string("'") + KEYD_BINARY + "' rotate --config keyd.yaml";
  const auto r = run_command({"/usr/bin/script", "-q", "-e", "-c", command, "/dev/null"}, dir.path(), env());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\ripfs: 3/3 pods on the new key\x1b[K"), std::string::npos) << json(r.out).dump();
  EXPECT_EQ(r.out.find("[info]"), std::string::npos);
  // The status line is ended before the report.
  EXPECT_NE(r.out.find("\x1b[K\r\nrotated swarm ipfs-overlay: version 1"), std::string::npos) << json(r.out).dump();
}

// Not a check: the numbers for the closing note (printed, and recorded as test properties).
TEST_F(KubeCli, RotationCostWithoutTheRollout) {
  write_config(std::string(k_kube_target) + "        wait: false\n");
  ok({"rotate"});  // the Secret exists from now on, as in steady state
  wait_ready();
  kube.clear_requests();
  const auto start = std::chrono::steady_clock::now();
  ok({"rotate"});
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  const auto requests = kube.requests();
  std::map<std::string, int> by_method;
  for (const auto& r : requests) ++by_method[r.value("method", "")];
  std::cout << "[ cost     ] keyd rotate (file store + kubernetes target, wait: false): " << ms.count() << " ms, "
            << requests.size() << " API requests " << json(by_method).dump() << "\n";
  RecordProperty("rotate_ms", static_cast<int>(ms.count()));
  RecordProperty("rotate_requests", static_cast<int>(requests.size()));
  EXPECT_EQ(template_fingerprint(), ok_json({"history"}).back()["fingerprint"]);
}

}  // namespace
}  // namespace keyd::testing
