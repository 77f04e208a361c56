// The daemon backend against an in-process HTTP server on 127.0.0.1 that answers like the keyd
// daemon's API (docs: /tmp contract "GET /v1/swarms/{name}/key"): the happy path, every status
// mapping, bounded retries on the FakeClock, garbage, and a key whose fingerprint does not match.
// The token file, refused calls and logs: daemon_store_token_test.cpp.
#include "daemon_store_fixture.hpp"

namespace keyd::adapters {
namespace {

using namespace daemon_store_fixture;

TEST_F(DaemonStoreTest, ReadsMetadataAndTheCurrentKeyWithTheBearerToken) {
  auto s = store();
  EXPECT_FALSE(s->capabilities().past_versions);
  EXPECT_FALSE(s->capabilities().check_and_set);
  EXPECT_EQ(s->describe(), "keyd daemon " + daemon.url());

  const auto meta = s->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 3);
  EXPECT_EQ(meta->created_time, "2026-11-27T10:00:00Z");
  ASSERT_EQ(meta->versions.size(), 1U);
  EXPECT_EQ(meta->versions[0].version, 3);

  const auto read = s->read(k_path, std::nullopt);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->info.version, 3);
  EXPECT_EQ(read->info.created_time, "2026-11-27T10:00:00Z");
  EXPECT_EQ(read->data.key_text.reveal_text(), m_key_text);
  EXPECT_EQ(read->data.fingerprint, m_fingerprint);

  EXPECT_EQ(daemon.requests(), (std::vector<std::string>{"/v1/swarms/ipfs-overlay", "/v1/swarms/ipfs-overlay/key"}));
  for (const auto& auth : daemon.authorizations()) EXPECT_EQ(auth, std::string("Bearer ") + k_token);
}

struct StatusCase {
  std::string reason;
  std::string path;  // which request fails
  Reply reply;
  ErrorCode code;
  std::vector<std::string> message_has;
  std::size_t requests;  // how many requests the failing call sent (retries)
};

TEST_F(DaemonStoreTest, StatusesMapToCodesAndMessagesThatNameThePathAndStatus) {
  const std::string key = "/v1/swarms/ipfs-overlay/key";
  const std::string meta = "/v1/swarms/ipfs-overlay";
  const std::string token_file = (dir / "token").string();
  const std::vector<StatusCase> cases{
      {"401: the token is refused",
       key,
       {401, error_body("unauthenticated", "the bearer token was not accepted")},
       ErrorCode::unauthorized,
       {"keyd daemon GET " + key + ": 401 unauthenticated", "the daemon rejected the token from " + token_file,
        "the bearer token was not accepted"},
       1},
      {"403: not a key reader",
       key,
       {403,
        error_body("forbidden", "k8s:system:serviceaccount:ipfs:other may not read the key of swarm ipfs-overlay")},
       ErrorCode::unauthorized,
       {": 403 forbidden", "not a key reader of swarm ipfs-overlay", "serviceaccount:ipfs:other", "key_readers"},
       1},
      {"404 no_key: not issued yet, so the agent waits",
       key,
       {404, error_body("no_key", "swarm ipfs-overlay has no key yet")},
       ErrorCode::not_found,
       {": 404 no_key", "swarm ipfs-overlay has no key yet"},
       1},
      {"404: the daemon knows no such swarm (a configuration mistake)",
       key,
       {404, error_body("not_found", "no swarm named 'ipfs-overlay'")},
       ErrorCode::invalid_config,
       {": 404 not_found", "knows no swarm ipfs-overlay", "swarms[].name"},
       1},
      {"503: the daemon's store is unavailable, retried then reported",
       key,
       {503, error_body("store_unavailable", "vault https://vault:8200: 503 Vault is sealed")},
       ErrorCode::unavailable,
       {": 503 store_unavailable", "503 Vault is sealed", "(after 3 attempts)"},
       3},
      {"504: timeout",
       meta,
       {504, error_body("timeout", "store timed out")},
       ErrorCode::timeout,
       {"keyd daemon GET " + meta + ": 504 timeout"},
       3},
      {"an error body that is not JSON",
       meta,
       {500, "<html>oops</html>"},
       ErrorCode::unavailable,
       {": 500: no error message"},
       3},
      {"400", key, {400, error_body("bad_request", "what")}, ErrorCode::invalid_input, {": 400 bad_request: what"}, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    FakeDaemon fresh;  // its own request log
    for (std::size_t i = 0; i < c.requests; ++i) fresh.script(c.path, c.reply);
    fresh.set_default(meta, {200, metadata_body(3)});
    fresh.set_default(key, {200, key_body(3, m_key_text, m_fingerprint)});
    auto s = make_daemon_store(options_for(fresh.url(), 3), *m_transport, clock, no_jitter);
    ASSERT_TRUE(s);
    const Error error = c.path == key ? (*s)->read(k_path, std::nullopt).error() : (*s)->metadata(k_path).error();
    EXPECT_EQ(code_of(error), std::string(to_string(c.code))) << error.message;
    for (const auto& part : c.message_has) EXPECT_TRUE(contains(error.message, part)) << error.message << "\n" << part;
    EXPECT_FALSE(contains(error.message, k_token));
    EXPECT_EQ(fresh.requests().size(), c.requests);
  }
}

TEST_F(DaemonStoreTest, A503IsRetriedWithBackoffOnTheClockThenSucceeds) {
  daemon.script("/v1/swarms/ipfs-overlay/key", {503, error_body("store_unavailable", "sealed")});
  auto s = store();
  const auto read = s->read(k_path, std::nullopt);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->data.key_text.reveal_text(), m_key_text);
  EXPECT_EQ(daemon.requests().size(), 2U);
  ASSERT_EQ(clock.sleeps().size(), 1U);
  EXPECT_GT(clock.sleeps()[0].count(), 0);
}

TEST_F(DaemonStoreTest, GarbageAndIncompleteAnswersAreUnavailableNotTrusted) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"not JSON", "this is not json"},
      {"an array", "[1,2]"},
      {"no key", json{{"swarm", "ipfs-overlay"}, {"version", 3}, {"fingerprint", m_fingerprint}}.dump()},
      {"another swarm",
       json{{"swarm", "other"}, {"version", 3}, {"fingerprint", m_fingerprint}, {"key", m_key_text}}.dump()},
      {"version 0", key_body(0, m_key_text, m_fingerprint)},
      {"fingerprint missing", json{{"swarm", "ipfs-overlay"}, {"version", 3}, {"key", m_key_text}}.dump()},
  };
  for (const auto& [reason, body] : cases) {
    SCOPED_TRACE(reason);
    daemon.script("/v1/swarms/ipfs-overlay/key", {200, body});
    const auto read = store()->read(k_path, std::nullopt);
    ASSERT_FALSE(read);
    EXPECT_EQ(code_of(read.error()), "unavailable") << read.error().message;
    EXPECT_TRUE(contains(read.error().message, "keyd daemon GET /v1/swarms/ipfs-overlay/key: unexpected response"))
        << read.error().message;
    EXPECT_FALSE(contains(read.error().message, key_hex()));
  }
  daemon.script("/v1/swarms/ipfs-overlay", {200, "{\"version\": \"three\"}"});
  const auto meta = store()->metadata(k_path);
  ASSERT_FALSE(meta);
  EXPECT_EQ(code_of(meta.error()), "unavailable") << meta.error().message;
}

TEST_F(DaemonStoreTest, AKeyThatDoesNotMatchItsFingerprintOrGrammarIsRefused) {
  auto other = domain::generate_swarm_key();
  ASSERT_TRUE(other);
  const std::string other_fingerprint = other->fingerprint().hex();
  daemon.script("/v1/swarms/ipfs-overlay/key", {200, key_body(3, m_key_text, other_fingerprint)});
  const auto mismatch = store()->read(k_path, std::nullopt);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(code_of(mismatch.error()), "integrity");
  EXPECT_TRUE(contains(mismatch.error().message, "has fingerprint " + m_fingerprint + ", not " + other_fingerprint))
      << mismatch.error().message;

  daemon.script("/v1/swarms/ipfs-overlay/key", {200, key_body(3, "/key/swarm/psk/1.0.0/\n/base16/\nzz\n", "x")});
  const auto garbage = store()->read(k_path, std::nullopt);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(code_of(garbage.error()), "integrity");
  EXPECT_TRUE(contains(garbage.error().message, "is not a valid swarm key")) << garbage.error().message;
  for (const auto& e : {mismatch.error().message, garbage.error().message}) EXPECT_FALSE(contains(e, key_hex()));
}

}  // namespace
}  // namespace keyd::adapters
