// The KubeTargetTest fixture shared by kube_target_test.cpp and kube_target_refusals_test.cpp: one
// kube-apiserver double for the suite, targets over the real curl transport, and request-log helpers.
#pragma once

#include "kube_test_helpers.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace keyd::adapters::kube_test {

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

  static KubeTargetOptions options(config::RestartStrategy strategy = config::RestartStrategy::rolling) {
    KubeTargetOptions o;
    o.namespace_name = k_ns;
    o.secret = k_secret;
    o.restart = {{"StatefulSet", "ipfs"}};
    o.strategy = strategy;
    o.timeout = 10s;
    return o;
  }

  std::unique_ptr<ports::Target> target(KubeTargetOptions o, const std::string& token = "") {
    auto api = make_kube_api(connection_to(kube(), token.empty() ? kube().admin_token() : token), m_clock, m_random);
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
  testing::FixedRandom m_random;
  RecordingProgress m_progress;
  static inline std::unique_ptr<testing::KubeDouble> s_kube;
};

}  // namespace keyd::adapters::kube_test
