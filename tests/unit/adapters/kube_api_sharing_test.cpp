// One KubeApi shared by the Kubernetes targets (the daemon's loop thread) and the Lease elector
// (its own thread), as the daemon wires it (issue 17, docs/races.md): while a Secret write is
// stuck against a slow API server (429 with Retry-After: the retry's backoff sleep; or a request
// that hangs until its timeout), a lease renewal must still go out and come back within its
// deadline. When KubeApi held its mutex across the whole call, retries and sleeps included, the
// renewal waited behind the write, the lease could expire and another replica take over while
// this one still believed it led.
#include "keyd/adapters/election/leader_election.hpp"
#include "kube/kube_api.hpp"

#include "kube_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_secret_path = "/api/v1/namespaces/ipfs-system/secrets/ipfs-swarm-key";
// Real time a renewal against the in-memory API server gets; without the stall it takes microseconds.
constexpr auto k_renewal_bound = 3s;

// Holds whoever reaches it until the test opens it; says when someone got there.
class Gate {
 public:
  void hold() {
    std::unique_lock lock(m_mutex);
    m_reached = true;
    m_cv.notify_all();
    m_cv.wait(lock, [&] { return m_open; });
  }
  [[nodiscard]] bool wait_reached(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_reached; });
  }
  void open() {
    const std::lock_guard lock(m_mutex);
    m_open = true;
    m_cv.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_reached = false;
  bool m_open = false;
};

// A fixed time; every backoff sleep waits at the gate (a Retry-After of minutes, in test time).
class GateClock final : public ports::Clock {
 public:
  explicit GateClock(Gate& gate) : m_gate(gate) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds{1'790'000'000}};
  }
  void sleep_for(std::chrono::milliseconds) const override { m_gate.hold(); }

 private:
  Gate& m_gate;
};

enum class Stall { retry_after, hang };

// An API server in memory: one Lease (GET, POST, PUT echo and keep it); a Secret PUT answers 429
// with Retry-After, or hangs at the gate and then times out. Safe for concurrent send() calls.
class SlowSecretsTransport final : public ports::HttpTransport {
 public:
  SlowSecretsTransport(Stall stall, Gate& gate) : m_stall(stall), m_gate(gate) {}

  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    ports::HttpResponse response;
    if (request.url.find("/secrets/") != std::string::npos) {
      if (m_stall == Stall::hang) {
        m_gate.hold();
        return fail(ErrorCode::timeout, "PUT secret: no answer within the request timeout");
      }
      response.status = 429;
      response.headers.push_back({"retry-after", "120", false});
      response.body = Secret::from_text(R"({"kind":"Status","code":429,"reason":"TooManyRequests"})");
      return response;
    }
    const std::lock_guard lock(m_mutex);
    if (request.method == "GET") {
      if (m_lease.empty()) {
        response.status = 404;
        response.body = Secret::from_text(R"({"kind":"Status","code":404,"reason":"NotFound"})");
        return response;
      }
    } else {
      m_lease = std::string(request.body.reveal_text());
      ++lease_writes;
    }
    response.status = request.method == "POST" ? 201 : 200;
    response.body = Secret::from_text(m_lease);
    return response;
  }

  int lease_writes = 0;  // under m_mutex

 private:
  Stall m_stall;
  Gate& m_gate;
  std::mutex m_mutex;
  std::string m_lease;
};

class KubeApiSharingTest : public ::testing::TestWithParam<Stall> {
 protected:
  void SetUp() override {
    KubeConnection conn;
    conn.server = "https://kube.test:6443";
    conn.default_namespace = "ipfs-system";
    conn.credentials = std::make_shared<kube_test::StaticCredentials>("token");
    conn.description = "test connection";
    auto transport = std::make_shared<SlowSecretsTransport>(GetParam(), gate);
    server = transport.get();
    // Every transport the client makes answers from the same API server.
    struct Forward final : ports::HttpTransport {
      explicit Forward(std::shared_ptr<SlowSecretsTransport> t) : inner(std::move(t)) {}
      Result<ports::HttpResponse> send(const ports::HttpRequest& r) override { return inner->send(r); }
      std::shared_ptr<SlowSecretsTransport> inner;
    };
    api = std::make_shared<KubeApi>(conn, clock, random, [transport](const ports::TlsOptions&) {
      return Result<std::unique_ptr<ports::HttpTransport>>(std::make_unique<Forward>(transport));
    });
    LeaseOptions options;
    options.namespace_name = "ipfs-system";
    options.identity = "keyd-a";
    options.lease_duration = 15s;
    options.renew_deadline = 10s;
    elector = make_lease_elector(options, api, clock);
  }

  Gate gate;
  GateClock clock{gate};
  testing::FixedRandom random;
  std::shared_ptr<KubeApi> api;
  std::unique_ptr<ports::LeaderElector> elector;
  SlowSecretsTransport* server = nullptr;
};

TEST_P(KubeApiSharingTest, ALeaseRenewalDoesNotWaitForASecretWriteStuckAgainstTheApiServer) {
  ASSERT_TRUE(elector->step().leading);
  ASSERT_EQ(server->lease_writes, 1);

  // The loop thread's Secret write: stuck (in its backoff sleep, or in a request that hangs).
  auto write = std::async(std::launch::async, [&] {
    kube::SecretJson body;
    body["metadata"]["name"] = "ipfs-swarm-key";
    return api->replace(k_secret_path, body);
  });
  ASSERT_TRUE(gate.wait_reached(10s)) << "the Secret write never stalled";

  // The election thread's next round.
  auto renewal = std::async(std::launch::async, [&] { return elector->step(); });
  const bool on_time = renewal.wait_for(k_renewal_bound) == std::future_status::ready;
  gate.open();  // let both finish whatever the outcome
  const auto status = renewal.get();
  const auto written = write.get();

  EXPECT_TRUE(on_time) << "the lease renewal waited for the Secret write's retries (KubeApi lock held across them)";
  EXPECT_TRUE(status.leading) << status.error;
  EXPECT_EQ(server->lease_writes, 2) << "one renewal PUT";
  EXPECT_FALSE(written) << "the Secret write still ends in its error";
}

INSTANTIATE_TEST_SUITE_P(Stalls, KubeApiSharingTest, ::testing::Values(Stall::retry_after, Stall::hang),
                         [](const ::testing::TestParamInfo<Stall>& param_info) {
                           return param_info.param == Stall::retry_after ? std::string("RetryAfter") : std::string("Hang");
                         });

}  // namespace
}  // namespace keyd::adapters
