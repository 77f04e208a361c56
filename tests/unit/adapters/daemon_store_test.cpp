// The daemon backend against an in-process HTTP server on 127.0.0.1 that answers like the keyd
// daemon's API (docs: /tmp contract "GET /v1/swarms/{name}/key"): the happy path, every status
// mapping, garbage, a key whose fingerprint does not match, the token file (missing, unreadable,
// re-read after it changed), bounded retries on the FakeClock, and no token or key in any log
// line or error message.
#include "keyd/adapters/daemon_store.hpp"
#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/domain/swarm_key.hpp"

#include "adapter_test_helpers.hpp"
#include "curl_test_servers.hpp"

#include <deque>
#include <mutex>

namespace keyd::adapters {
namespace {

using keyd::testing::FakeClock;
using keyd::testing::LogCapture;
using keyd::testing::TempDir;
using keyd::testing::write_file;
using nlohmann::json;
using test_helpers::code_of;
using test_helpers::contains;

constexpr const char* k_token = "tok-3f9a1c2e7d5b-projected";
constexpr const char* k_path = "ipfs-overlay/swarm-key";

struct Reply {
  int status = 200;
  std::string body;
};

// Answers GET /v1/swarms/{name}[/key] from scripted replies (then from the defaults) and records
// every Authorization header it received.
class FakeDaemon {
 public:
  FakeDaemon() {
    auto server = std::make_unique<httplib::Server>();
    server->Get(R"(/v1/swarms/([^/]+)(/key)?)", [this](const httplib::Request& req, httplib::Response& res) {
      const Reply reply = next(req);
      res.status = reply.status;
      res.set_header("Cache-Control", "no-store");
      res.set_content(reply.body, "application/json");
    });
    m_server = std::make_unique<curl_test::HttplibServer>(std::move(server));
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_server->port()); }

  void script(const std::string& path, Reply reply) {
    const std::scoped_lock lock(m_mutex);
    m_scripted[path].push_back(std::move(reply));
  }
  void set_default(const std::string& path, Reply reply) {
    const std::scoped_lock lock(m_mutex);
    m_defaults[path] = std::move(reply);
  }
  [[nodiscard]] std::vector<std::string> requests() const {
    const std::scoped_lock lock(m_mutex);
    return m_requests;
  }
  [[nodiscard]] std::vector<std::string> authorizations() const {
    const std::scoped_lock lock(m_mutex);
    return m_authorizations;
  }

 private:
  Reply next(const httplib::Request& req) {
    const std::scoped_lock lock(m_mutex);
    m_requests.push_back(req.path);
    m_authorizations.push_back(req.get_header_value("Authorization"));
    if (auto it = m_scripted.find(req.path); it != m_scripted.end() && !it->second.empty()) {
      Reply reply = std::move(it->second.front());
      it->second.pop_front();
      return reply;
    }
    if (auto it = m_defaults.find(req.path); it != m_defaults.end()) return it->second;
    return {404, R"({"error":{"code":"not_found","message":"no such resource"}})"};
  }

  mutable std::mutex m_mutex;
  std::map<std::string, std::deque<Reply>> m_scripted;
  std::map<std::string, Reply> m_defaults;
  std::vector<std::string> m_requests;
  std::vector<std::string> m_authorizations;
  std::unique_ptr<curl_test::HttplibServer> m_server;
};

std::string error_body(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

class DaemonStoreTest : public ::testing::Test {
 protected:
  DaemonStoreTest() {
    auto key = domain::generate_swarm_key();
    if (!key) throw std::runtime_error("no key");
    m_key_text = std::string(key->canonical_text().reveal_text());
    m_fingerprint = key->fingerprint().hex();
    write_file(dir / "token", std::string(k_token) + "\n");
    daemon.set_default("/v1/swarms/ipfs-overlay", {200, metadata_body(3)});
    daemon.set_default("/v1/swarms/ipfs-overlay/key", {200, key_body(3, m_key_text, m_fingerprint)});
    auto transport = make_curl_transport({});
    if (!transport) throw std::runtime_error(transport.error().message);
    m_transport = std::move(*transport);
  }

  std::unique_ptr<ports::SecretStore> store(int max_attempts = 3) {
    auto made = make_daemon_store(options_for(daemon.url() + "/", max_attempts, 0.5), *m_transport, clock);
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
  }

  [[nodiscard]] DaemonStoreOptions options_for(const std::string& url, int max_attempts, double jitter) const {
    DaemonStoreOptions options;
    options.url = url;
    options.token_file = (dir / "token").string();
    options.swarms = {{k_path, "ipfs-overlay"}};
    options.timeout = std::chrono::seconds(5);
    options.max_attempts = max_attempts;
    options.jitter = [jitter] { return jitter; };
    return options;
  }

  static std::string metadata_body(int version, bool reachable = true) {
    return json{
        {"name", "ipfs-overlay"},
        {"path", k_path},
        {"version", version},
        {"fingerprint", version > 0 ? "0123456789abcdef0123456789abcdef" : ""},
        {"created", "2026-11-27T10:00:00Z"},
        {"store_reachable", reachable},
        {"last_error", reachable ? "" : "vault GET secret/metadata/ipfs-overlay/swarm-key: 503 Vault is sealed"}}
        .dump();
  }
  static std::string key_body(int version, const std::string& key, const std::string& fingerprint) {
    return json{{"swarm", "ipfs-overlay"},
                {"version", version},
                {"fingerprint", fingerprint},
                {"created_time", "2026-11-27T10:00:00Z"},
                {"key", key}}
        .dump();
  }
  [[nodiscard]] std::string key_hex() const { return m_key_text.substr(m_key_text.size() - 65, 64); }

  TempDir dir;
  FakeClock clock;
  FakeDaemon daemon;
  std::string m_key_text;
  std::string m_fingerprint;
  std::unique_ptr<ports::HttpTransport> m_transport;
};

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
    auto s = make_daemon_store(options_for(fresh.url(), 3, 0.0), *m_transport, clock);
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

TEST_F(DaemonStoreTest, TheTokenFileIsReadAtEveryRequest) {
  auto s = store();
  ASSERT_TRUE(s->read(k_path, std::nullopt));
  write_file(dir / "token", "tok-rotated-by-kubelet");
  ASSERT_TRUE(s->metadata(k_path));
  EXPECT_EQ(daemon.authorizations(),
            (std::vector<std::string>{std::string("Bearer ") + k_token, "Bearer tok-rotated-by-kubelet"}));
}

TEST_F(DaemonStoreTest, AMissingEmptyOrUnreadableTokenFileFailsBeforeAnythingIsSent) {
  auto s = store();
  std::filesystem::remove(dir / "token");
  const auto missing = s->read(k_path, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), "unauthorized");
  EXPECT_TRUE(contains(missing.error().message, "cannot read the daemon token file " + (dir / "token").string()))
      << missing.error().message;

  write_file(dir / "token", " \n");
  const auto empty = s->metadata(k_path);
  ASSERT_FALSE(empty);
  EXPECT_TRUE(contains(empty.error().message, "the daemon token file " + (dir / "token").string() + " is empty"))
      << empty.error().message;

  std::filesystem::remove(dir / "token");
  std::filesystem::create_directory(dir / "token");  // unreadable as a file, even for root
  const auto unreadable = s->read(k_path, std::nullopt);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(code_of(unreadable.error()), "unauthorized");
  EXPECT_TRUE(contains(unreadable.error().message, (dir / "token").string())) << unreadable.error().message;
  EXPECT_TRUE(daemon.requests().empty());
}

TEST_F(DaemonStoreTest, PastVersionsAndWritesAreRefusedWithoutAskingForTheKey) {
  auto s = store();
  const auto past = s->read(k_path, 2);
  ASSERT_FALSE(past);
  EXPECT_EQ(code_of(past.error()), "invalid_input");
  EXPECT_TRUE(contains(past.error().message, "version 2 of swarm ipfs-overlay cannot be read through the keyd daemon"))
      << past.error().message;
  EXPECT_EQ(daemon.requests(), (std::vector<std::string>{"/v1/swarms/ipfs-overlay"}));  // metadata only

  const auto current = s->read(k_path, 3);
  ASSERT_TRUE(current) << current.error().message;

  ports::VersionData data{Secret::from_text(m_key_text), m_fingerprint, "me", "rotate"};
  const auto written = s->write(k_path, data, 3);
  ASSERT_FALSE(written);
  EXPECT_EQ(code_of(written.error()), "invalid_config");
  EXPECT_TRUE(contains(written.error().message, "read-only")) << written.error().message;
  EXPECT_EQ(daemon.requests().size(), 3U);  // the write sent nothing
}

TEST_F(DaemonStoreTest, NoVersionYetIsNotFoundAndAnUnreachedStoreIsUnavailable) {
  daemon.script("/v1/swarms/ipfs-overlay", {200, metadata_body(0)});
  const auto none = store()->metadata(k_path);
  ASSERT_FALSE(none);
  EXPECT_EQ(code_of(none.error()), "not_found") << none.error().message;

  daemon.script("/v1/swarms/ipfs-overlay", {200, metadata_body(0, false)});
  const auto unreached = store()->metadata(k_path);
  ASSERT_FALSE(unreached);
  EXPECT_EQ(code_of(unreached.error()), "unavailable");
  EXPECT_TRUE(contains(unreached.error().message, "503 Vault is sealed")) << unreached.error().message;

  const auto unknown = store()->metadata("other/swarm-key");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(code_of(unknown.error()), "invalid_config");
  EXPECT_TRUE(contains(unknown.error().message, "other/swarm-key")) << unknown.error().message;
}

TEST_F(DaemonStoreTest, NeitherTheTokenNorTheKeyAppearsInAnyLogLineOrError) {
  LogCapture capture(spdlog::level::trace);
  std::string errors;
  auto s = store();
  ASSERT_TRUE(s->metadata(k_path));
  ASSERT_TRUE(s->read(k_path, std::nullopt));
  daemon.script("/v1/swarms/ipfs-overlay/key", {503, error_body("store_unavailable", "sealed")});
  daemon.script("/v1/swarms/ipfs-overlay/key", {401, error_body("unauthenticated", "no")});
  errors += s->read(k_path, std::nullopt).error().message;
  daemon.script("/v1/swarms/ipfs-overlay/key", {200, key_body(3, m_key_text, std::string(32, 'a'))});
  errors += s->read(k_path, std::nullopt).error().message;
  const std::string logs = capture.text();
  EXPECT_TRUE(contains(logs, "retrying")) << logs;  // the capture saw the store's lines
  for (const auto& text : {logs, errors}) {
    EXPECT_FALSE(contains(text, k_token)) << text;
    EXPECT_FALSE(contains(text, key_hex())) << text;
    EXPECT_FALSE(contains(text, "/key/swarm/psk")) << text;
  }
}

TEST(DaemonStoreUrl, HttpsOrLoopbackHttpOnly) {
  for (const char* good :
       {"https://keyd.keyd-system.svc:8750", "http://127.0.0.1:8750", "http://localhost:1", "http://[::1]:8750/"}) {
    EXPECT_TRUE(check_daemon_url(good)) << good;
  }
  for (const char* bad : {"http://keyd:8750", "http://127.0.0.1.evil.example", "ftp://x", "keyd:8750", "https://"}) {
    const auto st = check_daemon_url(bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(code_of(st.error()), "invalid_config");
  }
  FakeClock clock;
  auto transport = make_curl_transport({});
  ASSERT_TRUE(transport);
  DaemonStoreOptions no_token_file;
  no_token_file.url = "https://keyd:8750";
  EXPECT_FALSE(make_daemon_store(std::move(no_token_file), **transport, clock));
}

}  // namespace
}  // namespace keyd::adapters
