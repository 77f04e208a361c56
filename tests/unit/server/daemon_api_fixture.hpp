// The daemon API's fixture (server::DaemonApi::handle in front of app::DaemonService, without
// sockets): one swarm with a rotation window, an instrumented store, key readers and operators.
#pragma once

#include "keyd/app/daemon_service.hpp"
#include "keyd/server/daemon_api.hpp"

#include "unit/app/daemon_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

namespace keyd::app {

using namespace std::chrono_literals;
using nlohmann::json;
using ports::ApiRequest;
using ports::Authentication;
using Kind = ports::Authentication::Kind;

class DaemonApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto metrics = std::make_shared<StoreMetrics>("memory");
    m_metrics = metrics;
    store = std::make_unique<InstrumentedStore>(f.store, *metrics);
    app::Swarm swarm{"ipfs-overlay", "ipfs-overlay/swarm-key", {}};
    swarm.targets.push_back(std::make_unique<testing::SharedTarget>(f.target));
    std::vector<DaemonSwarm> swarms;
    domain::RotationPolicy policy{720h, *domain::RotationWindow::parse("Mon-Fri 02:00-04:00")};
    swarms.push_back(DaemonSwarm{std::move(swarm), std::move(policy)});
    auto reconciler = std::make_unique<Reconciler>(Context{*store, f.audit, f.clock, "keyd-daemon"}, std::move(swarms),
                                                   DaemonOptions{}, [] { return 0.0; });
    KeyAccess keys{*store, f.audit, {}};
    keys.swarms.push_back(KeyReaders{"ipfs-overlay", "ipfs-overlay/swarm-key", {"token:agent", k_overlay_sa}});
    keys.swarms.back().operators = {"token:ci", "token:ci-bot", "token:agent", "k8s:system:serviceaccount:ops:deployer",
                                    "k8s:system:serviceaccount:ops:ci"};
    service = std::make_unique<DaemonService>(std::move(reconciler), f.clock, std::move(keys));
    api = std::make_unique<server::DaemonApi>(*service, metrics, "1.2.3");
  }

  static constexpr const char* k_overlay_sa = "k8s:system:serviceaccount:ipfs:ipfs-overlay";

  // The stored current key file text, as the store holds it.
  std::string stored_key() {
    auto stored = f.store.inner.read("ipfs-overlay/swarm-key", std::nullopt);
    EXPECT_TRUE(stored.has_value());
    return stored ? std::string(stored->data.key_text.reveal_text()) : std::string();
  }

  void lead() {
    service->set_leadership({true, true, "me", {}});
    service->tick();
  }

  static Authentication as(std::string name, bool may_write = true) {
    return Authentication{Kind::ok, ports::Caller{std::move(name), may_write}, {}};
  }

  // A Kubernetes caller whose token the TokenReview said is bound to a pod.
  static Authentication pod(std::string name, std::string pod_name, std::string uid) {
    return Authentication{Kind::ok, ports::Caller{std::move(name), false, std::move(pod_name), std::move(uid)}, {}};
  }

  ports::ApiResponse call(std::string method, std::string path, Authentication auth = {}) {
    return api->handle(ApiRequest{std::move(method), std::move(path), std::move(auth), {}});
  }

  static json body(const ports::ApiResponse& r) {
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  testing::DaemonFixture f;
  std::shared_ptr<StoreMetrics> m_metrics;
  std::unique_ptr<InstrumentedStore> store;
  std::unique_ptr<DaemonService> service;
  std::unique_ptr<server::DaemonApi> api;
};

inline bool has_header(const ports::ApiResponse& r, std::string_view name, std::string_view value) {
  return std::ranges::any_of(r.headers, [&](const auto& h) { return h.first == name && h.second == value; });
}

}  // namespace keyd::app
