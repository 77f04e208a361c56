// The kubernetes target against the kube-apiserver double over the real curl transport and TLS:
// rotation end to end, idempotence (request log), 409, restart-only targets, hand edits, and no key
// in any message or log.
#include "kube_target_fixture.hpp"

#include <algorithm>
#include <iostream>

namespace keyd::adapters::kube_test {
namespace {

TEST_F(KubeTargetTest, RotationEndToEnd) {
  seed("statefulsets", stateful_set("ipfs", 3));
  const TestKey key = make_key(1);
  LogCapture logs;
  auto t = target(options());
  EXPECT_EQ(t->describe(), "kubernetes ipfs-system/ipfs-swarm-key (+ restart sts/ipfs)");
  EXPECT_EQ(t->identity().kind, "kubernetes");
  EXPECT_EQ(t->identity().namespace_name, "ipfs-system");
  EXPECT_EQ(t->identity().name, "ipfs-swarm-key");
  kube().clear_requests();

  const auto started = std::chrono::steady_clock::now();
  const auto applied = t->apply(key.delivery());
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, ports::ApplyOutcome::changed);
  const json log = kube().requests();
  std::cout << "kube rotation (3-pod StatefulSet, rolling): " << log.size() << " API requests, " << elapsed.count()
            << " ms including the simulated rollout\n";

  // The Secret: Opaque, data decodes to the canonical key text, label and annotations, no key in metadata.
  const json s = secret();
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_EQ(unbase64(s["data"]["swarm.key"].get<std::string>()), key.text.reveal_text());
  EXPECT_EQ(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "keyd");
  const json& ann = s["metadata"]["annotations"];
  EXPECT_EQ(ann["keyd.io/fingerprint"], key.fingerprint);
  EXPECT_EQ(ann["keyd.io/store-version"], "1");
  EXPECT_EQ(ann["keyd.io/store-path"], "ipfs-overlay/swarm-key");
  expect_no_leak(s["metadata"].dump(), key, "Secret metadata");

  // The restart: one strategic-merge PATCH with fieldManager keyd; every pod now on the new template.
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), key.fingerprint);
  int patches = 0;
  for (const auto& r : log) {
    EXPECT_TRUE(r["user_agent"].get<std::string>().starts_with("keyd/")) << r.dump();
    EXPECT_EQ(r["auth"], "bearer");
    EXPECT_EQ(r["accept"], "application/json");
    if (r["method"] != "PATCH") continue;
    ++patches;
    EXPECT_EQ(r["content_type"], "application/strategic-merge-patch+json");
    EXPECT_EQ(r["query"].value("fieldManager", ""), "keyd");
  }
  EXPECT_EQ(patches, 1);
  const auto pods = pods_of("ipfs");
  ASSERT_EQ(pods.size(), 3U);
  for (const auto& p : pods) {
    EXPECT_EQ(p["metadata"]["annotations"]["keyd.io/swarm-key-fingerprint"], key.fingerprint) << p["metadata"]["name"];
  }
  const json sts = kube().object("apps", "statefulsets", k_ns, "ipfs");
  EXPECT_EQ(sts["status"]["readyReplicas"], 3);
  EXPECT_EQ(sts["status"]["updatedReplicas"], 3);

  // Progress: from the patch to "3/3", then done.
  ASSERT_FALSE(m_progress.lines.empty());
  EXPECT_EQ(m_progress.lines.front(), "ipfs: 0/3 pods on the new key");
  EXPECT_EQ(m_progress.lines.back(), "ipfs: 3/3 pods on the new key");
  EXPECT_GE(m_progress.lines.size(), 3U);
  EXPECT_EQ(m_progress.done_calls, 1);

  // The Event on the StatefulSet: sent beside the rotation, so wait until it is in.
  for (int i = 0; i < 250 && kube().objects("", "events", k_ns).empty(); ++i) std::this_thread::sleep_for(20ms);
  int events = 0;
  for (const auto& e : kube().objects("", "events", k_ns)) {
    if (e["reason"] != "SwarmKeyRotated") continue;
    ++events;
    EXPECT_EQ(e["involvedObject"]["kind"], "StatefulSet");
    EXPECT_EQ(e["involvedObject"]["name"], "ipfs");
    EXPECT_EQ(e["involvedObject"]["uid"], sts["metadata"]["uid"]);
    EXPECT_TRUE(contains(e["message"], "version 1") && contains(e["message"], key.fingerprint)) << e["message"];
    EXPECT_EQ(e["type"], "Normal");
    expect_no_leak(e.dump(), key, "the Event");
  }
  EXPECT_EQ(events, 1);
  expect_no_leak(logs.text(), key, "the log");

  // The next key restarts exactly once more.
  const TestKey next = make_key(2);
  kube().clear_requests();
  ASSERT_TRUE(t->apply(next.delivery()));
  EXPECT_EQ(count("PATCH", "statefulsets"), 1);
  EXPECT_EQ(count("POST", "selfsubjectaccessreviews") + count("POST", "selfsubjectrulesreviews"), 0)
      << "permissions are checked once per target";
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), next.fingerprint);
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), next.text.reveal_text());

  // The cost of a rotation without the simulated rollout: a fresh target (as a keyd process
  // starts with) that does not wait.
  auto o = options();
  o.wait = false;
  auto quick = target(o);
  kube().clear_requests();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(quick->apply(make_key(3).delivery()));
  const auto quick_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  quick.reset();  // a target waits for its Event when it goes away, as a keyd process does at its end
  std::cout << "kube rotation without the rollout (fresh target, wait: false): " << kube().requests().size()
            << " API requests, " << quick_ms << " ms\n";
  // One rules review for every permission, GET and PATCH of the StatefulSet, GET and PUT of the
  // Secret, the Event.
  EXPECT_EQ(count("POST", "selfsubjectrulesreviews"), 1);
  EXPECT_EQ(count("POST", "selfsubjectaccessreviews"), 0);
  EXPECT_EQ(kube().requests().size(), 6U) << kube().requests().dump();
}

// A version the rotation has just written cannot be in the Secret yet: one JSON patch whose test
// operations hold the read's preconditions, instead of GET + PUT.
TEST_F(KubeTargetTest, AFreshVersionUpdatesTheSecretInOneJsonPatch) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto o = options();
  o.wait = false;
  ASSERT_TRUE(target(o)->apply(make_key(1).delivery()));  // the Secret exists, keyd's
  const std::string annotation_before = secret()["metadata"]["annotations"].dump();

  auto t = target(o);
  const TestKey key = make_key(2);
  kube().clear_requests();
  const auto applied = t->apply(key.fresh_delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, ports::ApplyOutcome::changed);
  t.reset();
  EXPECT_EQ(count("GET", "secrets"), 0) << kube().requests().dump();
  EXPECT_EQ(count("PUT", "secrets"), 0);
  ASSERT_EQ(count("PATCH", "secrets"), 1);
  for (const auto& r : kube().requests()) {
    if (r["method"] == "PATCH" && r["resource"] == "secrets") {
      EXPECT_EQ(r["content_type"], "application/json-patch+json");
    }
  }
  const json s = secret();
  EXPECT_EQ(unbase64(s["data"]["swarm.key"].get<std::string>()), key.text.reveal_text());
  EXPECT_EQ(s["metadata"]["annotations"]["keyd.io/fingerprint"], key.fingerprint);
  EXPECT_EQ(s["metadata"]["annotations"]["keyd.io/store-version"], "2");
  EXPECT_EQ(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "keyd");
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), key.fingerprint);
  // SSRR, GET + PATCH of the StatefulSet, the Secret's PATCH, the Event.
  EXPECT_EQ(kube().requests().size(), 5U) << kube().requests().dump();
}

// prepare() makes the preflight — the permission review and the workload reads — on a thread of
// its own, before apply() is called (a rotation calls it before the store's write, so the two
// overlap); apply() then uses it instead of asking again.
TEST_F(KubeTargetTest, PrepareChecksBeforeApplyAndApplyDoesNotAskAgain) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto o = options();
  o.wait = false;
  auto t = target(o);
  kube().clear_requests();
  t->prepare();
  t->prepare();  // one in flight already: nothing more
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((count("POST", "selfsubjectrulesreviews") == 0 || count("GET", "statefulsets") == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(count("POST", "selfsubjectrulesreviews"), 1) << kube().requests().dump();
  EXPECT_EQ(count("GET", "statefulsets"), 1);
  EXPECT_EQ(writes().size(), 1U) << "only the review before apply()";

  const TestKey key = make_key(1);
  const auto applied = t->apply(key.fresh_delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  t.reset();
  EXPECT_EQ(count("POST", "selfsubjectrulesreviews"), 1) << kube().requests().dump();
  EXPECT_EQ(count("GET", "statefulsets"), 1);
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), key.fingerprint);
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), key.text.reveal_text());
}

// A refusal found by prepare() is checked again by apply() (one attempt ahead of time is not the
// last word) and refused with the same error as without prepare(), nothing written; the next
// apply() checks by itself.
TEST_F(KubeTargetTest, ARefusalFoundByPrepareIsApplysErrorAndNothingIsWritten) {
  seed("statefulsets", stateful_set("ipfs", 2, "OnDelete"));
  auto t = target(options());
  kube().clear_requests();
  t->prepare();
  const auto refused = t->apply(make_key(1).fresh_delivery());
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), "invalid_config");
  EXPECT_TRUE(contains(refused.error().message, "OnDelete")) << refused.error().message;
  for (const auto& w : writes()) EXPECT_TRUE(w.starts_with("POST selfsubjectrulesreviews")) << w;
  EXPECT_TRUE(secret().is_null()) << "nothing written";

  kube().clear_requests();
  ASSERT_FALSE(t->apply(make_key(2).fresh_delivery()));
  EXPECT_EQ(count("GET", "statefulsets"), 1) << "read again, not the answer of the earlier prepare()";
}

// The preflight made ahead of time tries each request once and gives up after 3 s: against an API
// server that does not answer, a rotation that failed before its delivery (the target goes away
// without apply()) waits that long at most, not for the usual timeouts and retries; and apply()
// after such a failure checks again, with the usual retries, and goes on.
TEST_F(KubeTargetTest, APreflightMadeAheadGivesUpSoonAndApplyChecksAgain) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto o = options();
  o.wait = false;
  const json slow_review = {{"method", "POST"}, {"path", "selfsubjectrulesreviews"}, {"delay_ms", 8000}, {"times", 1}};

  kube().control("POST", "faults", slow_review);
  auto started = std::chrono::steady_clock::now();
  auto abandoned = target(o);
  abandoned->prepare();
  abandoned.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 6s) << "waited for the slow review's reply";

  kube().control("DELETE", "faults");
  kube().control("POST", "faults", slow_review);
  kube().clear_requests();
  auto t = target(o);
  t->prepare();
  const TestKey key = make_key(1);
  const auto applied = t->apply(key.fresh_delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  t.reset();
  EXPECT_EQ(count("POST", "selfsubjectrulesreviews"), 2) << "the failed one ahead, then apply's own";
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), key.fingerprint);
}

// When the patch's preconditions do not hold, the read-and-update path decides as before: a
// missing Secret is created, a Secret that is not keyd's is refused (nothing written), an
// immutable one is refused saying so.
TEST_F(KubeTargetTest, AFreshVersionFallsBackToReadAndUpdateWhenThePatchDoesNotApply) {
  auto o = options();
  o.restart.clear();
  o.strategy = config::RestartStrategy::none;
  // missing: created
  const TestKey first = make_key(1);
  ASSERT_TRUE(target(o)->apply(first.fresh_delivery()));
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), first.text.reveal_text());

  // not keyd's (label removed by hand): refused, untouched
  kube().merge_object("", "secrets", k_ns, k_secret,
                      {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", nullptr}}}}}});
  const std::string rv = secret()["metadata"]["resourceVersion"];
  const auto refused = target(o)->apply(make_key(2).fresh_delivery());
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message, "not managed by keyd")) << refused.error().message;
  EXPECT_EQ(secret()["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), first.text.reveal_text());

  // keyd's again but immutable: refused saying so
  kube().merge_object("", "secrets", k_ns, k_secret,
                      {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", "keyd"}}}}}, {"immutable", true}});
  const auto immutable = target(o)->apply(make_key(3).fresh_delivery());
  ASSERT_FALSE(immutable);
  EXPECT_TRUE(contains(immutable.error().message, "immutable")) << immutable.error().message;
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), first.text.reveal_text());
}

TEST_F(KubeTargetTest, SecondApplyAndKeydRestartOnlyRead) {
  seed("statefulsets", stateful_set("ipfs", 2));
  const TestKey key = make_key(3);
  auto t = target(options());
  ASSERT_TRUE(t->apply(key.delivery()));
  std::vector<std::string> uids;
  for (const auto& p : pods_of("ipfs")) uids.push_back(p["metadata"]["uid"]);
  const std::string rv = secret()["metadata"]["resourceVersion"];

  kube().clear_requests();
  const auto again = t->apply(key.delivery());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, ports::ApplyOutcome::unchanged);
  EXPECT_EQ(writes(), std::vector<std::string>{}) << "a second sync only reads";
  EXPECT_EQ(kube().requests().size(), 2U) << "one GET of the StatefulSet, one of the Secret";

  // A restarted keyd (a new target): the permission reviews, then reads only.
  kube().clear_requests();
  const auto restarted = target(options())->apply(key.delivery());
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(*restarted, ports::ApplyOutcome::unchanged);
  for (const auto& w : writes()) EXPECT_TRUE(w.starts_with("POST selfsubjectrulesreviews")) << w;
  EXPECT_EQ(secret()["metadata"]["resourceVersion"], rv);
  std::vector<std::string> after;
  for (const auto& p : pods_of("ipfs")) after.push_back(p["metadata"]["uid"]);
  EXPECT_EQ(after, uids) << "no pod was restarted";
}

TEST_F(KubeTargetTest, ConflictOnTheSecretIsRetriedWithAFreshRead) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto t = target(options());
  // The first create fails as if another writer had created the Secret: keyd reads again and creates.
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/secrets$"}, {"status", 409}, {"times", 1}});
  ASSERT_TRUE(t->apply(make_key(1).delivery()));

  const TestKey next = make_key(2);
  kube().control("POST", "faults", {{"method", "PUT"}, {"path", "/secrets/ipfs-swarm-key$"}, {"status", 409}, {"times", 1}});
  kube().clear_requests();
  const auto applied = t->apply(next.delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  std::vector<std::string> secret_calls;
  for (const auto& r : kube().requests()) {
    if (r.value("resource", "") == "secrets") secret_calls.push_back(r["method"].get<std::string>() + " " + std::to_string(r["status"].get<int>()));
  }
  EXPECT_EQ(secret_calls, (std::vector<std::string>{"GET 200", "PUT 409", "GET 200", "PUT 200"}));
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), next.text.reveal_text());
}

TEST_F(KubeTargetTest, RestartOnlyTargetRollsDeploymentAndDaemonSet) {
  seed("deployments", deployment("gateway", 2, false));
  kube().create_object("apps", "daemonsets",
                       {{"apiVersion", "apps/v1"},
                        {"kind", "DaemonSet"},
                        {"metadata", {{"name", "node"}, {"namespace", k_ns}}},
                        {"spec", {{"selector", {{"matchLabels", {{"app", "node"}}}}}, {"template", pod_template("node")}}}});
  wait_settled("daemonsets", "node");
  KubeTargetOptions o = options();
  o.secret.clear();
  o.restart = {{"Deployment", "gateway"}, {"ds", "node"}};
  auto t = target(o);
  EXPECT_EQ(t->describe(), "kubernetes ipfs-system (restart deploy/gateway, ds/node)");
  EXPECT_EQ(t->identity().name, "gateway") << "no Secret: named by its first workload";
  EXPECT_EQ(t->identity().namespace_name, "ipfs-system");
  const TestKey key = make_key(1);
  kube().clear_requests();
  const auto applied = t->apply(key.delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(count("GET", "secrets") + count("PUT", "secrets") + count("POST", "secrets"), 0);
  EXPECT_EQ(template_fingerprint("deployments", "gateway"), key.fingerprint);
  EXPECT_EQ(template_fingerprint("daemonsets", "node"), key.fingerprint);
  for (const auto& app : {"gateway", "node"}) {
    for (const auto& p : pods_of(app)) {
      EXPECT_EQ(p["metadata"]["annotations"].value("keyd.io/swarm-key-fingerprint", ""), key.fingerprint) << app;
    }
  }
  EXPECT_NE(std::ranges::find(m_progress.lines, "gateway: 2/2 pods on the new key"), m_progress.lines.end());
}

TEST_F(KubeTargetTest, HandEditedSecretIsPutBackWithoutARestart) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const TestKey key = make_key(1);
  auto t = target(options());
  ASSERT_TRUE(t->apply(key.delivery()));
  // Someone replaces the data but leaves keyd's annotation: the annotation alone is not trusted.
  kube().merge_object("", "secrets", k_ns, k_secret, {{"data", {{"swarm.key", base64(make_key(9).text.reveal_text())}}}});
  kube().clear_requests();
  const auto applied = t->apply(key.delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, ports::ApplyOutcome::changed);
  EXPECT_EQ(writes(), (std::vector<std::string>{"PUT secrets 200"}));
  EXPECT_EQ(unbase64(secret()["data"]["swarm.key"].get<std::string>()), key.text.reveal_text());
}

TEST_F(KubeTargetTest, NoKeyInErrorsOrLogs) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const TestKey key = make_key(1);
  LogCapture logs;
  auto t = target(options());
  // A server that echoes the request body into its error (keyd must not repeat it), twice, then OK.
  const std::string echoed = "cannot store {\"data\":{\"swarm.key\":\"" + base64(key.text.reveal_text()) + "\"}} " + key.hex;
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/secrets$"}, {"status", 422}, {"message", echoed},
                                    {"times", 1}});
  const auto failed = t->apply(key.delivery());
  ASSERT_FALSE(failed);
  EXPECT_EQ(code_of(failed.error()), "invalid_input");
  EXPECT_TRUE(contains(failed.error().message, "<redacted>")) << failed.error().message;
  expect_no_leak(failed.error().message, key, "the error");
  ASSERT_TRUE(t->apply(key.delivery()));
  ASSERT_TRUE(t->apply(key.delivery()));
  expect_no_leak(logs.text(), key, "the log");
  EXPECT_TRUE(contains(logs.text(), key.fingerprint)) << "logs name the fingerprint instead";
}

}  // namespace
}  // namespace keyd::adapters::kube_test
