// The kubernetes target's refusals and failures against the kube-apiserver double: permission
// check, stuck rollouts, OnDelete, paused Deployments, adoption, immutable Secrets.
#include "kube_target_fixture.hpp"

namespace keyd::adapters::kube_test {
namespace {

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
  ASSERT_EQ(kube().requests().size(), 1U) << "one SelfSubjectRulesReview answers every check: " << kube().requests().dump();
  EXPECT_EQ(kube().requests()[0]["resource"], "selfsubjectrulesreviews");
  EXPECT_TRUE(secret().is_null());
}

// A rules review is complete under RBAC; a webhook authorizer makes it incomplete. Then the rules
// it lists are still grants (RBAC is additive), and only what they do not grant is asked with a
// SelfSubjectAccessReview — whose answer decides.
TEST_F(KubeTargetTest, AnIncompleteRulesReviewIsCompletedByAccessReviewsForWhatItDoesNotGrant) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const std::string token = kube().token_for(
      "keyd-webhooked", json::array({{{"verbs", {"get", "update"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}},
                                     {{"verbs", {"get"}}, {"apiGroups", {"apps"}}, {"resources", {"statefulsets"}}}}));
  // The review lists only the Secret's rule and says it is incomplete.
  kube().control("POST", "faults",
                 {{"method", "POST"}, {"path", "/selfsubjectrulesreviews$"}, {"status", 201}, {"times", 1},
                  {"body", {{"kind", "SelfSubjectRulesReview"},
                            {"apiVersion", "authorization.k8s.io/v1"},
                            {"status", {{"incomplete", true},
                                        {"evaluationError", "webhook authorizer does not support rules"},
                                        {"resourceRules", json::array({{{"verbs", {"get", "update", "create"}},
                                                                        {"apiGroups", {""}},
                                                                        {"resources", {"secrets"}}}})}}}}}});
  kube().clear_requests();
  const auto applied = target(options(), token)->apply(make_key(1).delivery());
  ASSERT_FALSE(applied);
  const std::string& msg = applied.error().message;
  EXPECT_EQ(code_of(applied.error()), "unauthorized") << msg;
  EXPECT_TRUE(contains(msg, "cannot patch statefulsets.apps \"ipfs\"")) << msg;
  EXPECT_TRUE(contains(msg, "cannot create events")) << msg;
  EXPECT_FALSE(contains(msg, "secrets")) << "the rules granted the Secret's verbs: " << msg;
  // patch secrets (optional: the one-request update), get + patch statefulsets and create events
  // were not granted by the listed rules: 4 reviews.
  EXPECT_EQ(count("POST", "selfsubjectrulesreviews"), 1);
  EXPECT_EQ(count("POST", "selfsubjectaccessreviews"), 4) << kube().requests().dump();
  EXPECT_TRUE(secret().is_null());
}

// A server that refuses the rules review (an old or locked-down API server) gets one
// SelfSubjectAccessReview per permission, as before, with the same clear error.
TEST_F(KubeTargetTest, WithoutARulesReviewEveryPermissionIsAnAccessReview) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const std::string token = kube().token_for(
      "keyd-old-server", json::array({{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}},
                                      {{"verbs", {"get"}}, {"apiGroups", {"apps"}}, {"resources", {"statefulsets"}}}}));
  kube().control("POST", "faults",
                 {{"method", "POST"}, {"path", "/selfsubjectrulesreviews$"}, {"status", 404}, {"times", 1}});
  kube().clear_requests();
  const auto applied = target(options(), token)->apply(make_key(1).delivery());
  ASSERT_FALSE(applied);
  const std::string& msg = applied.error().message;
  EXPECT_EQ(code_of(applied.error()), "unauthorized") << msg;
  EXPECT_TRUE(contains(msg, "cannot update secrets \"ipfs-swarm-key\"")) << msg;
  EXPECT_TRUE(contains(msg, "cannot patch statefulsets.apps \"ipfs\"")) << msg;
  EXPECT_FALSE(contains(msg, "cannot get")) << msg;
  EXPECT_EQ(count("POST", "selfsubjectaccessreviews"), 7) << kube().requests().dump();
  EXPECT_TRUE(secret().is_null());

  // And a 5xx on the rules review is a failure to check, not a pass.
  kube().control("POST", "faults",
                 {{"method", "POST"}, {"path", "/selfsubjectrulesreviews$"}, {"status", 500}, {"times", 10}});
  const auto failed = target(options())->apply(make_key(2).delivery());
  ASSERT_FALSE(failed);
  EXPECT_TRUE(contains(failed.error().message, "checking permissions")) << failed.error().message;
  EXPECT_TRUE(secret().is_null());
}

// resourceNames limit a rule to those objects: a rule for the Secret by name does not grant
// creating Secrets (optional: keyd only needs it when the Secret is missing), nor another Secret.
TEST_F(KubeTargetTest, ARuleWithResourceNamesGrantsOnlyThoseObjects) {
  seed("statefulsets", stateful_set("ipfs", 1));
  const std::string token = kube().token_for(
      "keyd-named", json::array({{{"verbs", {"get", "update", "create"}},
                                  {"apiGroups", {""}},
                                  {"resources", {"secrets"}},
                                  {"resourceNames", {"other-secret"}}},
                                 {{"verbs", {"get", "patch"}}, {"apiGroups", {"apps"}}, {"resources", {"statefulsets"}}},
                                 {{"verbs", {"create"}}, {"apiGroups", {""}}, {"resources", {"events"}}}}));
  kube().clear_requests();
  const auto applied = target(options(), token)->apply(make_key(1).delivery());
  ASSERT_FALSE(applied);
  const std::string& msg = applied.error().message;
  EXPECT_TRUE(contains(msg, "cannot get secrets \"ipfs-swarm-key\"")) << msg;
  EXPECT_TRUE(contains(msg, "cannot update secrets \"ipfs-swarm-key\"")) << msg;
  EXPECT_FALSE(contains(msg, "statefulsets")) << msg;
  EXPECT_EQ(kube().requests().size(), 1U) << kube().requests().dump();
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
  const auto refused = target(options(config::RestartStrategy::rolling))->apply(make_key(1).delivery());
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), "invalid_config");
  EXPECT_TRUE(contains(refused.error().message, "OnDelete") && contains(refused.error().message, "strategy: recreate"))
      << refused.error().message;
  for (const auto& w : writes()) EXPECT_TRUE(w.starts_with("POST selfsubjectrulesreviews")) << w;

  // recreate: the template is patched and keyd deletes the pods; the controller recreates them.
  const TestKey key = make_key(2);
  auto t = target(options(config::RestartStrategy::recreate));
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

TEST_F(KubeTargetTest, ForeignSecretNeedsAdopt) {
  kube().create_object("", "secrets",
                       {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"name", k_secret}, {"namespace", k_ns}, {"labels", {{"team", "ipfs"}}}}},
                        {"data", {{"other", base64("kept")}}}});
  auto o = options(config::RestartStrategy::none);
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
  const auto applied = target(options(config::RestartStrategy::none))->apply(key.delivery());
  ASSERT_FALSE(applied);
  EXPECT_EQ(code_of(applied.error()), "invalid_input");
  EXPECT_TRUE(contains(applied.error().message, "secret ipfs-system/ipfs-swarm-key is immutable"))
      << applied.error().message;
  expect_no_leak(applied.error().message, key, "the error");
  expect_no_leak(applied.error().message, old, "the error");
}

}  // namespace
}  // namespace keyd::adapters::kube_test
