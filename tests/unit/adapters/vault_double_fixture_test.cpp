// The VaultDouble fixture itself: start, control API, request log, raw /v1/ calls, clean stop.
#include "support/vault_double.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace keyd::testing {
namespace {

TEST(VaultDoubleFixture, StartsServesAndLogsRequests) {
  VaultDouble vault;
  EXPECT_EQ(vault.address(), "http://127.0.0.1:" + std::to_string(vault.port()));
  EXPECT_FALSE(vault.root_token().empty());
  const auto status = vault.control("GET", "status");
  EXPECT_FALSE(status.at("sealed").get<bool>());

  const auto written = vault.api("POST", "secret/data/fixture", {{"data", {{"a", "b"}}}});
  ASSERT_EQ(written.status, 200) << written.raw_body;
  const auto read = vault.api("GET", "secret/data/fixture");
  ASSERT_EQ(read.status, 200) << read.raw_body;
  EXPECT_EQ(read.body["data"]["data"]["a"], "b");
  EXPECT_EQ(vault.api("GET", "secret/data/missing").status, 404);

  const auto log = vault.requests();
  ASSERT_EQ(log.size(), 3U);
  EXPECT_EQ(log[0]["method"], "POST");
  EXPECT_EQ(log[0]["path"], "/v1/secret/data/fixture");
  EXPECT_EQ(log[0]["auth"], "X-Vault-Token");
  EXPECT_TRUE(log[0]["x_vault_request"].get<bool>());
  vault.clear_requests();
  EXPECT_TRUE(vault.requests().empty());

  const auto token = vault.control("POST", "tokens", {{"ttl", "1h"}, {"policies", {"nothing"}}});
  EXPECT_EQ(vault.api("GET", "secret/data/fixture", nullptr, token["token"].get<std::string>()).status, 403);
  EXPECT_THROW(vault.control("POST", "no-such-endpoint"), std::runtime_error);
  vault.reset();
  EXPECT_EQ(vault.api("GET", "secret/data/fixture").status, 404);
}

TEST(VaultDoubleFixture, DestructorStopsTheProcess) {
  int port = 0;
  {
    VaultDouble vault;
    port = vault.control_port();
    EXPECT_NO_THROW(vault.control("GET", "status"));
  }
  EXPECT_THROW(plain_http(port, "GET", "/_double/status", {}, {}, 2'000), std::runtime_error);
}

TEST(VaultDoubleFixture, ABadStartFailsClearly) {
  VaultDoubleOptions options;
  options.tls_cert_file = "/nonexistent/cert.pem";
  try {
    VaultDouble vault(options);
    FAIL() << "started with a missing certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exited during start-up"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace keyd::testing
