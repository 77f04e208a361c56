// The mcp, daemon and file backends' homes: their config sections → the adapters' options.
#include "backend_env.hpp"

#include "keyd/adapters/daemon/daemon_backend.hpp"
#include "keyd/adapters/file_store/file_backend.hpp"
#include "keyd/adapters/mcp/mcp_backend.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace keyd::adapters::backend_test {
namespace {

std::string value_of(const McpOptions& o, std::string_view name) {
  for (const auto& [n, v] : o.environment) {
    if (n == name) return std::string(v.reveal_text());
  }
  return "(unset)";
}

TEST(McpBackendOptions, ChildEnvironmentIsExactlyEnvFilesAndInheritedVariablesThatAreSet) {
  const testing::TempDir dir;
  testing::write_file(dir / "token", "  hvs.file\n");
  config::McpStoreConfig cfg;
  cfg.command = {"poly-secret-mcp", "--stdio"};
  cfg.mount = "kv";
  cfg.timeout = std::chrono::milliseconds{4321};
  cfg.env = {{"VAULT_ADDR", "http://127.0.0.1:8200"}};
  cfg.env_files = {{"VAULT_TOKEN", (dir / "token").string()}};
  cfg.inherit_env = {"PATH", "HOME"};
  auto o = mcp_backend_options(cfg, env_of({{"PATH", "/usr/bin"}, {"SECRET_NOT_ASKED_FOR", "x"}}));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, cfg.command);
  EXPECT_EQ(o->mount, "kv");
  EXPECT_EQ(o->timeout, std::chrono::milliseconds{4321});
  ASSERT_EQ(o->environment.size(), 3u);
  EXPECT_EQ(value_of(*o, "VAULT_ADDR"), "http://127.0.0.1:8200");
  EXPECT_EQ(value_of(*o, "VAULT_TOKEN"), "hvs.file");
  EXPECT_EQ(value_of(*o, "PATH"), "/usr/bin");
  EXPECT_EQ(value_of(*o, "HOME"), "(unset)");
}

TEST(McpBackendOptions, UnreadableEnvFileStopsBeforeAnythingStartsAndNamesIt) {
  config::McpStoreConfig cfg;
  cfg.command = {"poly-secret-mcp"};
  cfg.env_files = {{"VAULT_TOKEN", "/nonexistent/token"}};
  auto built = make_mcp_backend(cfg, env_of({}));
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().message, "store.mcp.env_files.VAULT_TOKEN /nonexistent/token: not found");
}

TEST(McpBackend, CommandIsRequired) {
  auto built = make_mcp_backend(config::McpStoreConfig{}, env_of({}));
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().message, "store.mcp.command is required with store.backend: mcp");
}

TEST(DaemonBackendOptions, CopiesTheSectionAndMapsStorePathsToSwarmNames) {
  config::DaemonStoreConfig cfg;
  cfg.url = "https://keyd.example:8750";
  cfg.token_file = "/var/run/token";
  cfg.timeout = std::chrono::milliseconds{2500};
  cfg.max_attempts = 5;
  std::vector<config::SwarmConfig> swarms(2);
  swarms[0].name = "prod";
  swarms[0].path = "prod/swarm-key";
  swarms[1].name = "lab";
  swarms[1].path = "x/lab";
  const DaemonStoreOptions o = daemon_backend_options(cfg, swarms);
  EXPECT_EQ(o.url, cfg.url);
  EXPECT_EQ(o.token_file, cfg.token_file);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds{2500});
  EXPECT_EQ(o.max_attempts, 5);
  EXPECT_EQ(o.swarms, (std::map<std::string, std::string, std::less<>>{{"prod/swarm-key", "prod"}, {"x/lab", "lab"}}));
}

TEST(DaemonBackend, PlainHttpToARemoteHostIsRefused) {
  const testing::FakeClock clock;
  testing::FixedRandom random;
  config::DaemonStoreConfig cfg;
  cfg.url = "http://keyd.example:8750";
  cfg.token_file = "/t";
  auto built = make_daemon_backend(cfg, {}, clock, random);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, ErrorCode::invalid_config);
}

TEST(FileBackend, BuildsTheStoreFromTheSection) {
  const testing::TempDir dir;
  const testing::FakeClock clock;
  config::FileStoreConfig cfg;
  cfg.dir = (dir / "store").string();
  cfg.max_versions = 3;
  const FileStoreOptions o = file_backend_options(cfg);
  EXPECT_EQ(o.dir, dir / "store");
  EXPECT_TRUE(o.master_key_file.empty());
  EXPECT_EQ(o.max_versions, 3);
  auto built = make_file_backend(cfg, clock);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->transport, nullptr);
  EXPECT_NE(built->store, nullptr);
}

}  // namespace
}  // namespace keyd::adapters::backend_test
