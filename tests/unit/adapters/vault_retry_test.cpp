// Vault store retries against the double's fault injection: sealed Vault, 429 + Retry-After, 5xx,
// 412, dropped connections, timeouts. The FakeClock records every backoff wait, so nothing sleeps.
#include "vault_test_helpers.hpp"

namespace keyd::adapters::vault_test {
namespace {

class VaultRetryTest : public VaultStoreTest {
 protected:
  // A store that has already written version 1 (so the token is looked up) and a clean log.
  std::unique_ptr<ports::SecretStore> warm_store(VaultOptions o) {
    auto store = make_store(std::move(o));
    write_versions(*store, 1);
    m_vault->clear_requests();
    return store;
  }
  std::unique_ptr<ports::SecretStore> warm_store() { return warm_store(options()); }

  void add_fault(json rule) { m_vault->control("POST", "faults", rule); }

  // Equal jitter around base·2^(n-1): the n-th wait lies in [half, full] of that, capped.
  static void expect_backoff(const std::vector<std::chrono::milliseconds>& sleeps, std::chrono::milliseconds base,
                             std::chrono::milliseconds cap) {
    for (std::size_t i = 0; i < sleeps.size(); ++i) {
      const auto full = std::min(cap, base * (1 << i));
      EXPECT_GE(sleeps[i], full / 2) << "wait " << i + 1;
      EXPECT_LE(sleeps[i], full) << "wait " << i + 1;
    }
  }
};

TEST_F(VaultRetryTest, SealedVaultIsUnavailableAfterMaxAttemptsWithBackoff) {
  auto store = warm_store();
  m_vault->control("POST", "seal");
  const LogCapture logs;
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unavailable") << got.error().message;
  const std::string& message = got.error().message;
  EXPECT_TRUE(contains(message, std::string("secret/data/") + k_path)) << message;
  EXPECT_TRUE(contains(message, "503")) << message;
  EXPECT_TRUE(icontains(message, "sealed")) << message;
  EXPECT_TRUE(contains(message, "4 attempts")) << message;
  expect_clean(got.error());
  expect_clean(logs.text());

  EXPECT_EQ(count("GET", k_data_path), 4);
  ASSERT_EQ(m_clock.sleeps().size(), 3U);
  expect_backoff(m_clock.sleeps(), 200ms, 5'000ms);

  m_vault->control("POST", "unseal");
  ASSERT_TRUE(store->read(k_path, std::nullopt));
}

TEST_F(VaultRetryTest, MaxAttemptsAndBackoffAreConfigurable) {
  auto o = options();
  o.max_attempts = 6;
  o.backoff_base = 1'000ms;
  o.backoff_cap = 3'000ms;
  auto store = warm_store(std::move(o));
  add_fault({{"path", "^/v1/secret/data/"}, {"status", 502}, {"body", {{"errors", {"bad gateway"}}}}});
  const auto got = store->write(k_path, version_data(2), 1);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unavailable") << got.error().message;
  EXPECT_TRUE(contains(got.error().message, "502")) << got.error().message;
  EXPECT_EQ(count("POST", k_data_path), 6);
  ASSERT_EQ(m_clock.sleeps().size(), 5U);
  expect_backoff(m_clock.sleeps(), 1'000ms, 3'000ms);
  EXPECT_EQ(m_vault->api("GET", std::string("secret/metadata/") + k_path).body["data"]["current_version"], 1);
}

TEST_F(VaultRetryTest, RateLimitedWithRetryAfterWaitsThatLongThenSucceeds) {
  auto store = warm_store();
  add_fault({{"method", "GET"}, {"path", "^/v1/secret/data/"}, {"status", 429}, {"times", 1},
             {"headers", {{"Retry-After", "2"}}}, {"body", {{"errors", {"rate limit quota exceeded"}}}}});
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
  EXPECT_EQ(m_clock.sleeps(), (std::vector<std::chrono::milliseconds>{2'000ms}));
  EXPECT_EQ(count("GET", k_data_path), 2);
}

TEST_F(VaultRetryTest, RetryAfterIsCappedByRetryAfterCap) {
  auto o = options();
  o.retry_after_cap = 5'000ms;
  auto store = warm_store(std::move(o));
  add_fault({{"path", "^/v1/secret/data/"}, {"status", 503}, {"times", 1}, {"headers", {{"Retry-After", "3600"}}},
             {"body", {{"errors", {"try later"}}}}});
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(m_clock.sleeps(), (std::vector<std::chrono::milliseconds>{5'000ms}));
}

TEST_F(VaultRetryTest, ServerErrorThenSuccess) {
  auto store = warm_store();
  add_fault({{"method", "POST"}, {"path", "^/v1/secret/data/"}, {"status", 500}, {"times", 1},
             {"body", {{"errors", {"internal error"}}}}});
  const auto written = store->write(k_path, version_data(2), 1);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(*written, 2);
  EXPECT_EQ(count("POST", k_data_path), 2);
  ASSERT_EQ(m_clock.sleeps().size(), 1U);
  expect_backoff(m_clock.sleeps(), 200ms, 5'000ms);
}

TEST_F(VaultRetryTest, PreconditionFailedIsRetried) {
  auto store = warm_store();
  add_fault({{"path", "^/v1/secret/data/"}, {"status", 412}, {"times", 2},
             {"body", {{"errors", {"required index state not present"}}}}});
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  EXPECT_EQ(count("GET", k_data_path), 3);
  EXPECT_EQ(m_clock.sleeps().size(), 2U);
}

TEST_F(VaultRetryTest, DroppedConnectionsAreRetried) {
  auto store = warm_store();
  // times 3: curl may silently resend once on a reused connection; the rest must be retried by keyd.
  add_fault({{"path", "^/v1/secret/data/"}, {"action", "drop"}, {"times", 3}});
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
  EXPECT_GE(m_clock.sleeps().size(), 1U);
}

TEST_F(VaultRetryTest, ConnectionRefusedIsUnavailableNamingThePath) {
  auto store = warm_store();
  m_vault.reset();  // nothing listens there any more
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "unavailable") << got.error().message;
  EXPECT_TRUE(contains(got.error().message, std::string("secret/data/") + k_path)) << got.error().message;
  EXPECT_EQ(m_clock.sleeps().size(), 3U);
  expect_clean(got.error());
}

TEST_F(VaultRetryTest, ASlowAnswerTimesOut) {
  auto o = options();
  o.request_timeout = 300ms;
  o.max_attempts = 2;
  auto store = warm_store(std::move(o));
  add_fault({{"path", "^/v1/secret/data/"}, {"action", "delay"}, {"delay_ms", 3'000}, {"times", nullptr}});
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), "timeout") << got.error().message;
  EXPECT_TRUE(icontains(got.error().message, "timed out")) << got.error().message;
  EXPECT_TRUE(contains(got.error().message, "after 2 attempts")) << got.error().message;
  EXPECT_TRUE(contains(got.error().message, std::string("secret/data/") + k_path)) << got.error().message;
  EXPECT_EQ(count("GET", k_data_path), 2);
  expect_clean(got.error());
}

TEST_F(VaultRetryTest, ClientErrorsAreNotRetried) {
  auto store = warm_store();
  add_fault({{"path", "^/v1/secret/data/"}, {"status", 400}, {"times", nullptr},
             {"body", {{"errors", {"invalid request"}}}}});
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().code, ErrorCode::unavailable) << got.error().message;
  EXPECT_EQ(count("GET", k_data_path), 1);
  EXPECT_TRUE(m_clock.sleeps().empty());
}

}  // namespace
}  // namespace keyd::adapters::vault_test
