// The daemon's checks before a restart in place: TLS files load as the server loads them, and a
// listen address is free now — found out by binding it, with nothing left open afterwards.
#include "keyd/adapters/http/http_preflight.hpp"

#include "curl_test_pki.hpp"
#include "support/http_test_client.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace keyd::adapters {
namespace {

using Listener = testing::HeldPort;

std::size_t open_fds() {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"), {}));
}

TEST(HttpPreflight, APortHeldByAnotherSocketIsUnavailableNamingTheAddress) {
  const Listener held;
  const auto busy = check_can_listen("127.0.0.1", held.port());
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::unavailable);
  EXPECT_NE(busy.error().message.find("listen on 127.0.0.1:" + std::to_string(held.port()) + ": cannot bind"),
            std::string::npos)
      << busy.error().message;
}

TEST(HttpPreflight, AFreePortPassesAndIsFreeAgainAfterwards) {
  int port = 0;
  {
    const Listener probe;
    port = probe.port();
  }
  const auto fds = open_fds();
  EXPECT_TRUE(check_can_listen("127.0.0.1", port));
  EXPECT_TRUE(check_can_listen("127.0.0.1", port)) << "the first check left the port bound";
  EXPECT_TRUE(check_can_listen("127.0.0.1", 0));
  EXPECT_EQ(open_fds(), fds) << "a socket was left open";
}

TEST(HttpPreflight, AnAddressOfAnotherHostCannotBeBound) {
  const auto foreign = check_can_listen("192.0.2.1", 8750);  // TEST-NET-1: never this host's
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("192.0.2.1:8750"), std::string::npos) << foreign.error().message;
}

TEST(HttpPreflight, TlsFilesLoadOrTheErrorNamesBoth) {
  using namespace curl_test;
  const testing::TempDir dir;
  const Issued ca = issue_ca("keyd preflight test CA");
  const Issued leaf = issue_leaf("127.0.0.1", ca, "serverAuth", "IP:127.0.0.1");
  write_pem(leaf, dir / "tls.crt", dir / "tls.key");
  EXPECT_TRUE(check_tls_files((dir / "tls.crt").string(), (dir / "tls.key").string()));

  const auto missing = check_tls_files((dir / "missing.crt").string(), (dir / "tls.key").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_config);
  EXPECT_NE(missing.error().message.find("missing.crt"), std::string::npos);
  EXPECT_NE(missing.error().message.find("tls.key"), std::string::npos);

  testing::write_file(dir / "garbage.key", "not a key\n");
  EXPECT_FALSE(check_tls_files((dir / "tls.crt").string(), (dir / "garbage.key").string()));
}

}  // namespace
}  // namespace keyd::adapters
