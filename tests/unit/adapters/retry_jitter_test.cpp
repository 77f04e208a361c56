// The three HTTP clients (Vault, Kubernetes, the keyd daemon store) retry through the one
// RetryPolicy and draw their jitter from the injected ports::Random, not from an engine of their
// own: with a FixedRandom the backoff on the FakeClock is exact, and the Random counts one draw
// per retry. The backoff is 100 s (free on a FakeClock), so a private engine would hit the exact
// millisecond only by a chance of about 1 in 50,000, and would leave the FixedRandom undrawn.
#include "keyd/adapters/daemon/daemon_store.hpp"
#include "keyd/adapters/vault/vault_store.hpp"
#include "kube/kube_api.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;

// Every request fails as a refused connection would (retryable), and is counted.
class RefusingTransport final : public ports::HttpTransport {
 public:
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    ++sent;
    return fail(ErrorCode::unavailable, request.method + " " + request.url + ": connection refused");
  }
  int sent = 0;
};

// What KubeApi's transport factory makes: a transport that forwards to the fixture's.
class Forwarding final : public ports::HttpTransport {
 public:
  explicit Forwarding(ports::HttpTransport& to) : m_to(to) {}
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override { return m_to.send(request); }

 private:
  ports::HttpTransport& m_to;
};

// Two attempts, 100 s base: one retry after 50 s + jitter × 50 s.
constexpr int k_attempts = 2;
constexpr std::chrono::milliseconds k_base{100'000};
constexpr double k_jitter = 0.25;
const std::vector<std::chrono::milliseconds> k_expected_sleeps{62'500ms};

class RetryJitterTest : public ::testing::Test {
 protected:
  void expect_one_retry_on_the_injected_jitter(const Error& error) const {
    EXPECT_EQ(transport.sent, k_attempts);
    EXPECT_EQ(clock.sleeps(), k_expected_sleeps);
    EXPECT_EQ(random.draws(), 1);
    EXPECT_NE(error.message.find("(after 2 attempts)"), std::string::npos) << error.message;
  }

  testing::FakeClock clock;
  testing::FixedRandom random{k_jitter};
  RefusingTransport transport;
};

TEST_F(RetryJitterTest, VaultDrawsItsJitterFromTheInjectedRandom) {
  VaultOptions o;
  o.address = "https://vault.test:8200";
  o.auth.method = config::VaultAuthMethod::token;
  o.auth.token = Secret::from_text("hvs.test-token");
  o.max_attempts = k_attempts;
  o.backoff_base = k_base;
  o.backoff_cap = k_base;
  auto store = make_vault_store(std::move(o), transport, clock, random);
  ASSERT_TRUE(store) << store.error().message;
  const auto meta = (*store)->metadata("ipfs-overlay/swarm-key");
  ASSERT_FALSE(meta);
  expect_one_retry_on_the_injected_jitter(meta.error());
}

TEST_F(RetryJitterTest, KubernetesDrawsItsJitterFromTheInjectedRandom) {
  KubeConnection conn;
  conn.server = "https://kube.test:6443";
  conn.description = "test connection";
  kube::ApiOptions options;
  options.backoff = domain::BackoffPolicy{k_attempts, k_base, k_base, 30'000ms};
  KubeApi api(
      conn, clock, random,
      [this](const ports::TlsOptions&) {
        return Result<std::unique_ptr<ports::HttpTransport>>(std::make_unique<Forwarding>(transport));
      },
      options);
  const auto got = api.get("/api/v1/namespaces/ipfs/secrets/swarm-key");
  ASSERT_FALSE(got);
  expect_one_retry_on_the_injected_jitter(got.error());
}

TEST_F(RetryJitterTest, TheDaemonStoreDrawsItsJitterFromTheInjectedRandom) {
  const testing::TempDir dir;
  testing::write_file(dir / "token", "daemon-token\n");
  DaemonStoreOptions o;
  o.url = "https://keyd.test:8750";
  o.token_file = (dir / "token").string();
  o.swarms = {{"ipfs-overlay/swarm-key", "ipfs-overlay"}};
  o.max_attempts = k_attempts;
  o.backoff_base = k_base;
  o.backoff_cap = k_base;
  auto store = make_daemon_store(std::move(o), transport, clock, random);
  ASSERT_TRUE(store) << store.error().message;
  const auto meta = (*store)->metadata("ipfs-overlay/swarm-key");
  ASSERT_FALSE(meta);
  expect_one_retry_on_the_injected_jitter(meta.error());
}

}  // namespace
}  // namespace keyd::adapters
