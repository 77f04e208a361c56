// Paths and headers over a real socket (issue 15 item 8): the daemon's HTTP server on 127.0.0.1
// in front of DaemonService answers 404 to every non-canonical spelling of a resource
// (percent-encoded '/', empty segments, a trailing '/', dot segments), so the key is served only
// through /v1/swarms/{name}/key; a bearer token with a NUL or another control character is 401.
#include "keyd/adapters/http_server.hpp"
#include "keyd/app/daemon_service.hpp"

#include "daemon_test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace keyd::app {
namespace {

constexpr const char* k_agent_token = "agent-token-0123456789";

std::string sha256_hex(std::string_view text) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned char c : digest) out += fmt::format("{:02x}", c);
  return out;
}

// The exact request bytes (no client normalises the path), and the whole answer.
std::string raw_exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  std::string answer;
  char buf[4096];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

int status_of(const std::string& raw) { return raw.starts_with("HTTP/1.1 ") ? std::stoi(raw.substr(9, 3)) : -1; }

class DaemonPathsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto tokens = m_dir / "tokens";
    std::ofstream(tokens) << sha256_hex(k_agent_token) << " agent\n";
    ::chmod(tokens.c_str(), 0600);
    auto tokens_auth = adapters::make_tokens_file_authenticator(tokens.string());
    ASSERT_TRUE(tokens_auth) << tokens_auth.error().message;
    KeyAccess keys{m_store, f.audit, {}};
    keys.swarms.push_back(KeyReaders{"a", "a/swarm-key", {"token:agent"}});
    m_service = std::make_unique<DaemonService>(f.make({}, true), nullptr, f.clock, "test", std::move(keys));
    m_service->set_leadership({true, true, "me", {}});
    m_service->tick();
    adapters::HttpServerOptions options;
    options.port = 0;
    auto server = adapters::start_http_server(options, *m_service, {*tokens_auth});
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
  }
  void TearDown() override {
    if (m_server) m_server->stop();
  }

  std::string get(const std::string& target, const std::string& authorization) {
    return raw_exchange(m_server->port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
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
  std::unique_ptr<adapters::HttpServer> m_server;
};

TEST_F(DaemonPathsHttpTest, TheKeyIsServedOnlyThroughTheCanonicalPath) {
  const std::string bearer = fmt::format("Authorization: Bearer {}\r\n", k_agent_token);
  const std::string key = key_hex();
  const std::string served = get("/v1/swarms/a/key", bearer);
  ASSERT_EQ(status_of(served), 200) << served;
  ASSERT_NE(served.find(key), std::string::npos);
  for (const std::string path :
       {"/v1/swarms/a%2Fkey", "/v1/swarms/a%2fkey", "//v1/swarms/a/key", "/v1//swarms/a/key", "/v1/swarms//a/key",
        "/v1/swarms/a/key/", "/v1/swarms/a/./key", "/v1/swarms/b/../a/key", "/v1/swarms/%61/key",
        "/v1/swarms/a/%6bey", "/v1/swarms/a/key%00", "/v1/swarms/a/key/?x=1", "/v1%2Fswarms%2Fa%2Fkey"}) {
    const std::string answer = get(path, bearer);
    EXPECT_EQ(status_of(answer), 404) << path << ": " << answer;
    EXPECT_EQ(answer.find(key), std::string::npos) << "the key was served through " << path;
  }
  EXPECT_EQ(status_of(get("/v1/swarms/a/key?x=1", bearer)), 200) << "a query does not make a path non-canonical";
}

TEST_F(DaemonPathsHttpTest, NonCanonicalSpellingsOfOtherResourcesAre404Too) {
  EXPECT_EQ(status_of(get("/healthz", "")), 200);
  EXPECT_EQ(status_of(get("/v1/swarms", "")), 401);
  for (const std::string path : {"/healthz/", "//healthz", "/%68ealthz", "/v1/swarms/", "//v1/swarms", "/v1/swarms/a/",
                                 "/v1/swarms/a/rotate/", "/v1/swarms/a%2Frotate"}) {
    EXPECT_EQ(status_of(get(path, "")), 404) << path;
  }
}

TEST_F(DaemonPathsHttpTest, ABearerTokenWithControlCharactersIs401) {
  const std::string key = key_hex();
  const auto fetches = [&] { return std::ranges::count_if(f.audit.events, [](const auto& e) { return e.action == "fetch"; }); };
  const auto before = fetches();
  for (const std::string& suffix : {std::string("\0", 1), std::string("\0x", 2), std::string("\x01"),
                                   std::string("\x7f"), std::string("\tx"), std::string(" x")}) {
    const std::string answer = get("/v1/swarms/a/key", "Authorization: Bearer " + std::string(k_agent_token) + suffix + "\r\n");
    EXPECT_EQ(status_of(answer), 401) << answer;
    EXPECT_EQ(answer.find(key), std::string::npos);
  }
  EXPECT_EQ(fetches(), before) << "a refused token got as far as a key read";
}

}  // namespace
}  // namespace keyd::app
