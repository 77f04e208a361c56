// Paths and headers over a real socket (issue 15 item 8): the daemon's HTTP server on 127.0.0.1
// in front of server::DaemonApi answers 404 to every non-canonical spelling of a resource
// (percent-encoded '/', empty segments, a trailing '/', dot segments), so the key is served only
// through /v1/swarms/{name}/key; a bearer token with a NUL or another control character is 401.
#include "keyd/adapters/http/http_server.hpp"
#include "keyd/app/daemon_service.hpp"
#include "keyd/server/daemon_api.hpp"

#include "unit/app/daemon_test_support.hpp"
#include "support/http_test_client.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace keyd::app {
namespace {

constexpr const char* k_agent_token = "agent-token-0123456789";

class DaemonPathsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto tokens = m_dir / "tokens";
    testing::write_tokens_file(tokens, {{k_agent_token, "agent"}});
    auto tokens_auth = adapters::make_tokens_file_authenticator(tokens.string());
    ASSERT_TRUE(tokens_auth) << tokens_auth.error().message;
    KeyAccess keys{m_store, f.audit, {}};
    keys.swarms.push_back(KeyReaders{"a", "a/swarm-key", {"token:agent"}});
    m_service = std::make_unique<DaemonService>(f.make({}, true), f.clock, std::move(keys));
    m_api = std::make_unique<server::DaemonApi>(*m_service, nullptr, "test");
    m_service->set_leadership({true, true, "me", {}});
    m_service->tick();
    adapters::HttpServerOptions options;
    options.port = 0;
    auto server = adapters::start_http_server(options, *m_api, {*tokens_auth});
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
  }
  void TearDown() override {
    if (m_server) m_server->stop();
  }

  std::string get(const std::string& target, const std::string& authorization) {
    return testing::raw_exchange(m_server->port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                              authorization + "\r\n");
  }

  std::string key_hex() {
    auto stored = f.store.inner.read("a/swarm-key", std::nullopt);
    EXPECT_TRUE(stored.has_value());
    const std::string text = stored ? std::string(stored->data.key_text.reveal_text()) : std::string(65, '?');
    return text.substr(text.size() - 65, 64);
  }

  testing::TempDir m_dir;
  testing::DaemonFixture f;
  SerialisedStore m_store{f.store};
  std::unique_ptr<DaemonService> m_service;
  std::unique_ptr<server::DaemonApi> m_api;
  std::unique_ptr<adapters::HttpServer> m_server;
};

TEST_F(DaemonPathsHttpTest, TheKeyIsServedOnlyThroughTheCanonicalPath) {
  const std::string bearer = fmt::format("Authorization: Bearer {}\r\n", k_agent_token);
  const std::string key = key_hex();
  const std::string served = get("/v1/swarms/a/key", bearer);
  ASSERT_EQ(testing::status_of(served), 200) << served;
  ASSERT_NE(served.find(key), std::string::npos);
  for (const std::string path :
       {"/v1/swarms/a%2Fkey", "/v1/swarms/a%2fkey", "//v1/swarms/a/key", "/v1//swarms/a/key", "/v1/swarms//a/key",
        "/v1/swarms/a/key/", "/v1/swarms/a/./key", "/v1/swarms/b/../a/key", "/v1/swarms/%61/key",
        "/v1/swarms/a/%6bey", "/v1/swarms/a/key%00", "/v1/swarms/a/key/?x=1", "/v1%2Fswarms%2Fa%2Fkey"}) {
    const std::string answer = get(path, bearer);
    EXPECT_EQ(testing::status_of(answer), 404) << path << ": " << answer;
    EXPECT_EQ(answer.find(key), std::string::npos) << "the key was served through " << path;
  }
  EXPECT_EQ(testing::status_of(get("/v1/swarms/a/key?x=1", bearer)), 200) << "a query does not make a path non-canonical";
}

TEST_F(DaemonPathsHttpTest, NonCanonicalSpellingsOfOtherResourcesAre404Too) {
  EXPECT_EQ(testing::status_of(get("/healthz", "")), 200);
  EXPECT_EQ(testing::status_of(get("/v1/swarms", "")), 401);
  for (const std::string path : {"/healthz/", "//healthz", "/%68ealthz", "/v1/swarms/", "//v1/swarms", "/v1/swarms/a/",
                                 "/v1/swarms/a/rotate/", "/v1/swarms/a%2Frotate"}) {
    EXPECT_EQ(testing::status_of(get(path, "")), 404) << path;
  }
}

TEST_F(DaemonPathsHttpTest, ABearerTokenWithControlCharactersIs401) {
  const std::string key = key_hex();
  const auto fetches = [&] { return std::ranges::count_if(f.audit.events, [](const auto& e) { return e.action == "fetch"; }); };
  const auto before = fetches();
  for (const std::string& suffix : {std::string("\0", 1), std::string("\0x", 2), std::string("\x01"),
                                   std::string("\x7f"), std::string("\tx"), std::string(" x")}) {
    const std::string answer = get("/v1/swarms/a/key", "Authorization: Bearer " + std::string(k_agent_token) + suffix + "\r\n");
    EXPECT_EQ(testing::status_of(answer), 401) << answer;
    EXPECT_EQ(answer.find(key), std::string::npos);
  }
  EXPECT_EQ(fetches(), before) << "a refused token got as far as a key read";
}

}  // namespace
}  // namespace keyd::app
