// The kubernetes target against the kube-apiserver double over the real curl transport and TLS:
// rotation end to end, idempotence (request log), 409, permission check, stuck rollouts, OnDelete,
// paused Deployments, adoption, immutable Secrets, hand edits, and no key in any message or log.
#include "kube_test_helpers.hpp"

#include <iostream>

namespace keyd::adapters::kube_test {
namespace {

class KubeTargetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }

  void SetUp() override {
    kube().reset();
    kube().control("POST", "controller", {{"seconds_per_pod", 0.02}});
    kube().ensure_namespace(k_ns);
  }

  static testing::KubeDouble& kube() { return *s_kube; }

  static KubeTargetOptions options(const std::string& strategy = "rolling") {
    KubeTargetOptions o;
    o.namespace_name = k_ns;
    o.secret = k_secret;
    o.restart = {{"StatefulSet", "ipfs"}};
    o.strategy = strategy;
    o.timeout = 10s;
    return o;
  }

  std::unique_ptr<ports::Target> target(KubeTargetOptions o, const std::string& token = "") {
    auto api = make_kube_api(connection_to(kube(), token.empty() ? kube().admin_token() : token), m_clock);
    EXPECT_TRUE(api) << api.error().message;
    auto t = make_kubernetes_target(std::move(o), *api, m_clock, m_progress);
    EXPECT_TRUE(t) << t.error().message;
    return std::move(*t);
  }

  // Create a workload and wait until its pods are up, so every test starts from a settled cluster.
  static void seed(const std::string& resource, const json& object) {
    kube().create_object("apps", resource, object);
    wait_settled(resource, object["metadata"]["name"].get<std::string>());
  }

  static void wait_settled(const std::string& resource, const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const json o = kube().object("apps", resource, k_ns, name);
      const json& st = o.value("status", json::object());
      const int want = resource == "daemonsets" ? st.value("desiredNumberScheduled", -1) : o["spec"].value("replicas", 1);
      const int ready = resource == "daemonsets" ? st.value("numberReady", 0) : st.value("readyReplicas", 0);
      const int updated = st.value(resource == "daemonsets" ? "updatedNumberScheduled" : "updatedReplicas", 0);
      if (st.value("observedGeneration", 0) == o["metadata"].value("generation", 1) && ready == want &&
          updated == want && st.value("replicas", want) == want) {
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error(resource + "/" + name + " did not settle");
  }

  // Requests other than reads, as "METHOD resource[/name] status".
  static std::vector<std::string> writes() {
    std::vector<std::string> out;
    for (const auto& r : kube().requests()) {
      if (r["method"] == "GET") continue;
      out.push_back(r["method"].get<std::string>() + " " + r.value("resource", std::string()) + " " +
                    std::to_string(r["status"].get<int>()));
    }
    return out;
  }

  static int count(const std::string& method, const std::string& resource) {
    int n = 0;
    for (const auto& r : kube().requests()) n += r["method"] == method && r.value("resource", "") == resource ? 1 : 0;
    return n;
  }

  static json secret() { return kube().object("", "secrets", k_ns, k_secret); }
  static std::string template_fingerprint(const std::string& resource, const std::string& name) {
    const json o = kube().object("apps", resource, k_ns, name);
    return o["spec"]["template"]["metadata"].value("annotations", json::object()).value("keyd.io/swarm-key-fingerprint",
                                                                                          "");
  }
  static std::vector<json> pods_of(const std::string& app) {
    std::vector<json> out;
    for (const auto& p : kube().objects("", "pods", k_ns)) {
      if (p["metadata"]["labels"].value("app", "") == app) out.push_back(p);
    }
    return out;
  }

  SystemClock m_clock;
  RecordingProgress m_progress;
  static inline std::unique_ptr<testing::KubeDouble> s_kube;
};

TEST_F(KubeTargetTest, RotationEndToEnd) {
  seed("statefulsets", stateful_set("ipfs", 3));
  const TestKey key = make_key(1);
  LogCapture logs;
  auto t = target(options());
  EXPECT_EQ(t->describe(), "kubernetes ipfs-system/ipfs-swarm-key (+ restart sts/ipfs)");
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

  // The Event on the StatefulSet.
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
  EXPECT_EQ(count("POST", "selfsubjectaccessreviews"), 0) << "permissions are checked once per target";
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
  std::cout << "kube rotation without the rollout (fresh target, wait: false): " << kube().requests().size()
            << " API requests, " << quick_ms << " ms\n";
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
  for (const auto& w : writes()) EXPECT_TRUE(w.starts_with("POST selfsubjectaccessreviews")) << w;
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

TEST_F(KubeTargetTest, PermissionCheckNamesEveryMissingPermissionBeforeTouchingAnything) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const std::string token = kube().token_for(
      "keyd-restricted", json::array({{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}},
                                      {{"verbs", {"get"}}, {"apiGroups", {"apps"}}, {"resources", {"statefulsets"}}}}));
  kube().clear_requests();
  const auto applied = target(options(), token)->apply(make_key(1).delivery());
  ASSERT_FALSE(applied);
  EXPECT_EQ(code_of(applied.error()), "unauthorized");
  const std::string& msg = applied.error().message;
  EXPECT_TRUE(contains(msg, "cannot update secrets \"ipfs-swarm-key\"")) << msg;
  EXPECT_TRUE(contains(msg, "cannot patch statefulsets.apps \"ipfs\"")) << msg;
  EXPECT_TRUE(contains(msg, "cannot create events")) << msg;
  EXPECT_TRUE(contains(msg, "namespace ipfs-system")) << msg;
  EXPECT_FALSE(contains(msg, "cannot get")) << msg;
  for (const auto& r : kube().requests()) EXPECT_EQ(r["resource"], "selfsubjectaccessreviews") << r.dump();
  EXPECT_TRUE(secret().is_null());
}

TEST_F(KubeTargetTest, StuckRolloutTimesOutWithTheLastStatus) {
  seed("statefulsets", stateful_set("ipfs", 3));
  kube().control("POST", "controller", {{"stuck", true}});
  auto o = options();
  o.timeout = 1500ms;
  o.rollback_on_failure = true;
  auto t = target(o);
  EXPECT_TRUE(t->rollback_on_failure());
  const auto started = std::chrono::steady_clock::now();
  const auto applied = t->apply(make_key(1).delivery());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(applied);
  EXPECT_EQ(code_of(applied.error()), "timeout");
  const std::string& msg = applied.error().message;
  EXPECT_TRUE(contains(msg, "kubernetes ipfs-system/ipfs-swarm-key")) << msg;
  EXPECT_TRUE(contains(msg, "statefulset ipfs")) << msg;
  EXPECT_TRUE(contains(msg, "Waiting for 1 pods to be ready...")) << msg;
  EXPECT_TRUE(contains(msg, "1/3 pods on the new key")) << msg;
  EXPECT_GE(elapsed, 1500ms);
  EXPECT_LT(elapsed, 4s);
  EXPECT_EQ(m_progress.done_calls, 1);
}

TEST_F(KubeTargetTest, OnDeleteStatefulSet) {
  seed("statefulsets", stateful_set("ipfs", 2, "OnDelete"));
  // rolling: refused before anything is written, saying why.
  kube().clear_requests();
  const auto refused = target(options("rolling"))->apply(make_key(1).delivery());
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), "invalid_config");
  EXPECT_TRUE(contains(refused.error().message, "OnDelete") && contains(refused.error().message, "strategy: recreate"))
      << refused.error().message;
  for (const auto& w : writes()) EXPECT_TRUE(w.starts_with("POST selfsubjectaccessreviews")) << w;

  // recreate: the template is patched and keyd deletes the pods; the controller recreates them.
  const TestKey key = make_key(2);
  auto t = target(options("recreate"));
  EXPECT_EQ(t->describe(), "kubernetes ipfs-system/ipfs-swarm-key (+ recreate sts/ipfs)");
  kube().clear_requests();
  const auto applied = t->apply(key.delivery());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(count("DELETE", "pods"), 2);
  for (const auto& r : kube().requests()) {
    if (r["method"] == "DELETE") {
      EXPECT_EQ(r["status"], 200) << r.dump();
    }
  }
  const auto pods = pods_of("ipfs");
  ASSERT_EQ(pods.size(), 2U);
  for (const auto& p : pods) EXPECT_EQ(p["metadata"]["annotations"]["keyd.io/swarm-key-fingerprint"], key.fingerprint);
  EXPECT_EQ(m_progress.lines.back(), "ipfs: 2/2 pods on the new key");

  kube().clear_requests();
  EXPECT_EQ(t->apply(key.delivery()).value_or(ports::ApplyOutcome::changed), ports::ApplyOutcome::unchanged);
  EXPECT_EQ(writes(), std::vector<std::string>{});
}

TEST_F(KubeTargetTest, PausedDeploymentIsRefused) {
  kube().create_object("apps", "deployments", deployment("gateway", 1, true));
  auto o = options();
  o.restart = {{"Deployment", "gateway"}};
  kube().clear_requests();
  const auto applied = target(o)->apply(make_key(1).delivery());
  ASSERT_FALSE(applied);
  EXPECT_EQ(code_of(applied.error()), "invalid_config");
  EXPECT_TRUE(contains(applied.error().message, "deployment gateway in namespace ipfs-system is paused"))
      << applied.error().message;
  EXPECT_TRUE(contains(applied.error().message, "kubectl rollout resume deployment/gateway"));
  EXPECT_TRUE(secret().is_null()) << "nothing written";
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

TEST_F(KubeTargetTest, ForeignSecretNeedsAdopt) {
  kube().create_object("", "secrets",
                       {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"name", k_secret}, {"namespace", k_ns}, {"labels", {{"team", "ipfs"}}}}},
                        {"data", {{"other", base64("kept")}}}});
  auto o = options("none");
  const TestKey key = make_key(1);
  const auto refused = target(o)->apply(key.delivery());
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), "invalid_config");
  EXPECT_TRUE(contains(refused.error().message, "not managed by keyd") && contains(refused.error().message, "adopt: true"))
      << refused.error().message;
  EXPECT_FALSE(secret()["data"].contains("swarm.key"));

  o.adopt = true;
  const auto adopted = target(o)->apply(key.delivery());
  ASSERT_TRUE(adopted) << adopted.error().message;
  const json s = secret();
  EXPECT_EQ(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "keyd");
  EXPECT_EQ(s["metadata"]["labels"]["team"], "ipfs");
  EXPECT_EQ(unbase64(s["data"]["other"].get<std::string>()), "kept");
  EXPECT_EQ(unbase64(s["data"]["swarm.key"].get<std::string>()), key.text.reveal_text());
}

TEST_F(KubeTargetTest, ImmutableSecretIsAClearError) {
  const TestKey old = make_key(1);
  kube().create_object(
      "", "secrets",
      {{"apiVersion", "v1"},
       {"kind", "Secret"},
       {"immutable", true},
       {"metadata", {{"name", k_secret}, {"namespace", k_ns}, {"labels", {{"app.kubernetes.io/managed-by", "keyd"}}}}},
       {"data", {{"swarm.key", base64(old.text.reveal_text())}}}});
  const TestKey key = make_key(2);
  const auto applied = target(options("none"))->apply(key.delivery());
  ASSERT_FALSE(applied);
  EXPECT_EQ(code_of(applied.error()), "invalid_input");
  EXPECT_TRUE(contains(applied.error().message, "secret ipfs-system/ipfs-swarm-key is immutable"))
      << applied.error().message;
  expect_no_leak(applied.error().message, key, "the error");
  expect_no_leak(applied.error().message, old, "the error");
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
