// The Secret writes that a planted mutant once survived (issue 17): every rotation moves keyd's
// annotations to the new key (not only the creation), and the update carries the resourceVersion
// keyd read, so another client writing between keyd's read and its write gets a real 409 from the
// double's optimistic concurrency (no injected status) and its change is kept, not overwritten.
#include "kube_target_fixture.hpp"

#include <atomic>
#include <iostream>
#include <thread>

namespace keyd::adapters::kube_test {
namespace {

std::vector<std::string> secret_calls(const json& log) {
  std::vector<std::string> out;
  for (const auto& r : log) {
    if (r.value("resource", "") != "secrets") continue;
    out.push_back(r["method"].get<std::string>() + " " + (r["status"].is_number() ? r["status"].dump() : "-"));
  }
  return out;
}

TEST_F(KubeTargetTest, EveryRotationMovesTheAnnotationsToTheNewKey) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto t = target(options());
  for (int version = 1; version <= 3; ++version) {
    const TestKey key = make_key(version);
    const auto applied = t->apply(key.delivery());
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(*applied, ports::ApplyOutcome::changed) << "version " << version;
    const json s = secret();
    const json& ann = s["metadata"]["annotations"];
    EXPECT_EQ(unbase64(s["data"]["swarm.key"].get<std::string>()), key.text.reveal_text()) << "version " << version;
    EXPECT_EQ(ann.value("keyd.io/fingerprint", ""), key.fingerprint) << "the Secret kept an older fingerprint";
    EXPECT_EQ(ann.value("keyd.io/store-version", ""), std::to_string(version));
    EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), key.fingerprint);

    // The annotation is what the next sync trusts: the same key again writes nothing.
    kube().clear_requests();
    const auto again = t->apply(key.delivery());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, ports::ApplyOutcome::unchanged) << "version " << version;
    EXPECT_EQ(writes(), std::vector<std::string>{}) << "version " << version;
  }
}

TEST_F(KubeTargetTest, AnotherWriterBetweenReadAndWriteGetsARealConflictAndKeepsItsChange) {
  seed("statefulsets", stateful_set("ipfs", 1));
  auto t = target(options());
  ASSERT_TRUE(t->apply(make_key(1).delivery()));
  const std::string rv_before = secret()["metadata"]["resourceVersion"];

  // keyd's PUT is held for a while once its body is read (a delay, not an answer: the double then
  // judges the request itself); meanwhile another client changes the Secret.
  const json fault = kube().control(
      "POST", "faults", {{"method", "PUT"}, {"path", "/secrets/ipfs-swarm-key$"}, {"delay_ms", 2000}, {"times", 1}});
  std::atomic<bool> wrote{false};
  std::thread other([&] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& r : kube().requests()) {
        if (r["method"] == "PUT" && r.value("resource", "") == "secrets" && r["outcome"] == "pending" &&
            r["fault"] == fault["id"]) {
          kube().merge_object("", "secrets", k_ns, k_secret,
                              {{"metadata", {{"annotations", {{"example.com/other-writer", "was here"}}}}}});
          wrote = true;
          return;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  const TestKey next = make_key(2);
  LogCapture logs;
  kube().clear_requests();
  const auto applied = t->apply(next.delivery());
  other.join();
  ASSERT_TRUE(wrote) << "the other writer never saw keyd's PUT pending";
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, ports::ApplyOutcome::changed);

  const json log = kube().requests();
  EXPECT_EQ(secret_calls(log), (std::vector<std::string>{"GET 200", "PUT 409", "GET 200", "PUT 200"}))
      << "keyd's update must carry the resourceVersion it read, so the other write makes it a conflict";
  EXPECT_TRUE(contains(logs.text(), "the object has been modified")) << "the double's own Conflict Status:\n"
                                                                      << logs.text();
  const json s = secret();
  EXPECT_NE(s["metadata"]["resourceVersion"], rv_before);
  EXPECT_EQ(s["metadata"]["annotations"].value("example.com/other-writer", ""), "was here")
      << "keyd overwrote the other client's change";
  EXPECT_EQ(s["metadata"]["annotations"].value("keyd.io/fingerprint", ""), next.fingerprint);
  EXPECT_EQ(unbase64(s["data"]["swarm.key"].get<std::string>()), next.text.reveal_text());
  EXPECT_EQ(template_fingerprint("statefulsets", "ipfs"), next.fingerprint);
}

}  // namespace
}  // namespace keyd::adapters::kube_test
