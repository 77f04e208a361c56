// The daemon backend's token file (missing, unreadable, re-read after it changed), the calls it
// refuses without asking, an unreached store, its URL rules, and no token or key in any log line
// or error message.
#include "daemon_store_fixture.hpp"

namespace keyd::adapters {
namespace {

using namespace daemon_store_fixture;

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
  FixedRandom random;
  auto transport = make_curl_transport({});
  ASSERT_TRUE(transport);
  DaemonStoreOptions no_token_file;
  no_token_file.url = "https://keyd:8750";
  EXPECT_FALSE(make_daemon_store(std::move(no_token_file), **transport, clock, random));
}

}  // namespace
}  // namespace keyd::adapters
