// McpStore on the poly-secret-mcp test double (the real MCP SDK server, tests/doubles/mcp) and the
// Vault double: the Vault backend's data layout both ways, read-write-verify, past versions, and
// every fault the double injects mapped to a clear error, with the server process gone afterwards.
#include "mcp_test_helpers.hpp"

#include "keyd/adapters/vault/vault_store.hpp"

#include <fstream>

namespace keyd::adapters::mcp_test {
namespace {

class McpStoreTest : public ::testing::Test {
 protected:
  McpStoreTest() { remember_secret(m_mcp.vault.root_token()); }

  std::unique_ptr<ports::SecretStore> mcp_store(const std::vector<std::string>& faults = {},
                                                std::chrono::milliseconds timeout = 20s) {
    m_mcp.clear_pid_file();
    return make_double_store(m_mcp, faults, timeout);
  }
  // The Vault backend on the same Vault double.
  std::unique_ptr<ports::SecretStore> vault_store() {
    if (!m_transport) {
      auto made = make_curl_transport({});
      if (!made) throw std::runtime_error(made.error().message);
      m_transport = std::move(*made);
    }
    VaultOptions o;
    o.address = m_mcp.vault.address();
    o.auth.token = Secret::from_text(m_mcp.vault.root_token());
    auto made = make_vault_store(std::move(o), *m_transport, m_clock, m_random);
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
  }
  // The pid of the server the last store started; the process must be gone once the store is.
  void expect_server_gone(std::unique_ptr<ports::SecretStore>& store) {
    const pid_t pid = m_mcp.server_pid();
    store.reset();
    if (pid > 0) {
      EXPECT_TRUE(testing::process_gone(pid)) << "MCP server " << pid << " is still there";
    }
  }
  static void write_versions(ports::SecretStore& store, int n) {
    for (int v = 1; v <= n; ++v) {
      const auto written = store.write(k_path, version_data(v), v - 1);
      ASSERT_TRUE(written) << written.error().message;
      ASSERT_EQ(*written, v);
    }
  }
  void remember_secret(const std::string& value) { m_secrets.push_back(value); }
  void expect_no_secret(const std::string& text) const {
    expect_clean(text);
    for (const auto& secret : m_secrets) EXPECT_FALSE(contains(text, secret)) << "leaked a token: " << text;
  }
  [[nodiscard]] std::vector<json> call_log() const {
    std::vector<json> out;
    std::ifstream in(m_mcp.call_log());
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  testing::McpDouble m_mcp;
  std::unique_ptr<ports::HttpTransport> m_transport;
  testing::FakeClock m_clock;
  testing::FixedRandom m_random;
  std::vector<std::string> m_secrets;
};

TEST_F(McpStoreTest, WriteReadMetadataThroughTheSdkServer) {
  auto store = mcp_store();
  EXPECT_FALSE(store->capabilities().past_versions);
  EXPECT_FALSE(store->capabilities().check_and_set);
  const auto missing = store->metadata(k_path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found) << missing.error().message;

  for (int v = 1; v <= 3; ++v) {
    const auto written = store->write(k_path, version_data(v), v - 1);
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(*written, v);
  }
  const auto current = store->read(k_path, std::nullopt);
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(current->info.version, 3);
  vault_test::expect_data_is(current->data, 3);
  const auto same = store->read(k_path, 3);  // the current version, asked for by number
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->data.fingerprint, vault_test::fingerprint(3));

  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 3);
  ASSERT_EQ(meta->versions.size(), 3U);
  EXPECT_FALSE(meta->versions[0].created_time.empty());

  // One server for the store's lifetime; the call log has tool and argument names only.
  for (const auto& entry : call_log()) {
    EXPECT_TRUE(entry.contains("tool")) << entry.dump();
    expect_clean(entry.dump());
  }
  EXPECT_GE(call_log().size(), 10U);
  expect_server_gone(store);
}

TEST_F(McpStoreTest, PastVersionsAreRefusedNotSilentlyReplaced) {
  auto store = mcp_store();
  write_versions(*store, 2);
  const auto old = store->read(k_path, 1);
  ASSERT_FALSE(old);
  EXPECT_TRUE(contains(old.error().message, "version 1 of secret/ipfs-overlay/swarm-key cannot be read"))
      << old.error().message;
  EXPECT_TRUE(contains(old.error().message, "no version argument")) << old.error().message;
  EXPECT_TRUE(contains(old.error().message, "store.backend: vault")) << old.error().message;
}

TEST_F(McpStoreTest, SameLayoutAsTheVaultBackendBothWays) {
  auto mcp = mcp_store();
  auto vault = vault_store();
  ASSERT_TRUE(mcp->write(k_path, version_data(1), 0));
  const auto read_by_vault = vault->read(k_path, 1);
  ASSERT_TRUE(read_by_vault) << read_by_vault.error().message;
  vault_test::expect_data_is(read_by_vault->data, 1);
  const auto raw = m_mcp.vault.api("GET", std::string("secret/data/") + k_path);
  EXPECT_EQ(raw.body["data"]["data"], vault_test::stored_data(1));  // exactly the four fields

  ASSERT_TRUE(vault->write(k_path, version_data(2), 1));
  const auto read_by_mcp = mcp->read(k_path, std::nullopt);
  ASSERT_TRUE(read_by_mcp) << read_by_mcp.error().message;
  EXPECT_EQ(read_by_mcp->info.version, 2);
  vault_test::expect_data_is(read_by_mcp->data, 2);
  ASSERT_TRUE(mcp->write(k_path, version_data(3), 2));
}

TEST_F(McpStoreTest, StaleCasIsAConflictAndWritesNothing) {
  auto store = mcp_store();
  write_versions(*store, 2);
  const auto stale = store->write(k_path, version_data(5), 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::conflict);
  EXPECT_TRUE(contains(stale.error().message, "version 2 is current, not 1")) << stale.error().message;
  EXPECT_EQ(store->metadata(k_path)->current_version, 2);
}

TEST_F(McpStoreTest, ConcurrentWriterIsDetected) {
  {
    auto seed = mcp_store();
    ASSERT_TRUE(seed->write(k_path, version_data(1), 0));
  }
  auto store = mcp_store({"concurrent-writer"});
  const auto written = store->write(k_path, version_data(2), 1);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::conflict);
  const std::string& m = written.error().message;
  EXPECT_TRUE(contains(m, "concurrent writer")) << m;
  EXPECT_TRUE(contains(m, "became version 3, not 2")) << m;
  expect_clean(m);
  expect_server_gone(store);
}

TEST_F(McpStoreTest, TamperedWriteIsDetected) {
  auto store = mcp_store({"tamper-write"});
  const auto written = store->write(k_path, version_data(1), 0);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::conflict);
  EXPECT_TRUE(contains(written.error().message, "does not hold what keyd wrote")) << written.error().message;
  expect_clean(written.error().message);
}

// One fault: the error code and the words its message must contain, within the timeout.
struct FaultCase {
  const char* fault;
  ErrorCode code;
  std::vector<const char*> words;
  bool on_write = false;  // the fault strikes on vault_write, so read first succeeds
};

// Faults that stall are cut by the timeout; the others must fail at once, well before it (a long
// timeout keeps a slow node start-up on a busy machine from turning them into timeouts).
constexpr auto k_stall_timeout = 3s;
constexpr auto k_fail_fast_timeout = 20s;

// Each fault: a clear error of the expected code within the timeout, the server process gone, and
// nothing written.
class McpFaultTest : public McpStoreTest {
 protected:
  void run(const std::vector<FaultCase>& cases) {
    {
      auto seed = mcp_store();
      ASSERT_TRUE(seed->write(k_path, version_data(1), 0));
    }
    for (const auto& c : cases) {
      SCOPED_TRACE(c.fault);
      const bool stalls = c.code == ErrorCode::timeout;
      auto store = mcp_store({c.fault}, stalls ? k_stall_timeout : k_fail_fast_timeout);
      const auto start = mcp::SteadyClock::now();
      Error error;
      if (c.on_write) {
        ASSERT_TRUE(store->read(k_path, std::nullopt));
        auto written = store->write(k_path, version_data(2), 1);
        ASSERT_FALSE(written);
        error = written.error();
      } else {
        auto read = store->read(k_path, std::nullopt);
        ASSERT_FALSE(read);
        error = read.error();
      }
      // A stall ends at the timeout (plus the start-up when it stalls on a call); the rest fail at once.
      EXPECT_LT(mcp::SteadyClock::now() - start, stalls ? 2 * k_stall_timeout : 10s);
      EXPECT_EQ(error.code, c.code) << error.message;
      for (const char* word : c.words) EXPECT_TRUE(contains(error.message, word)) << word << " in: " << error.message;
      EXPECT_TRUE(contains(error.message, "server.mjs")) << error.message;
      expect_no_secret(error.message);
      expect_server_gone(store);
    }
    auto check = mcp_store();
    EXPECT_EQ(check->metadata(k_path)->current_version, 1);
  }
};

TEST_F(McpFaultTest, ServersThatDieOrBabble) {
  run({
      {"exit-at-start", ErrorCode::unavailable, {"exited with status 3", "last stderr line", "initialize"}},
      {"crash-on-call", ErrorCode::unavailable, {"exited with status 1", "tools/call", "crash fault"}},
      {"crash-on-write", ErrorCode::unavailable, {"exited with status 1", "tool vault_write"}, true},
      {"garbage-stdout", ErrorCode::unavailable, {"not a JSON-RPC message", "garbage-stdout fault"}},
  });
}

TEST_F(McpFaultTest, ServersThatNeverAnswer) {
  run({
      {"silent", ErrorCode::timeout, {"did not answer initialize in time"}},
      {"silent-on-call", ErrorCode::timeout, {"tool vault_read", "did not answer tools/call in time"}},
  });
}

TEST_F(McpFaultTest, ServersWithoutWhatKeydNeeds) {
  run({
      {"missing-tools", ErrorCode::unavailable, {"missing vault_write, vault_metadata", "not of keyd"}},
      {"drop-arguments", ErrorCode::unavailable, {"path parameter is required", "known poly-secret-mcp defect"}},
      {"bad-protocol-version", ErrorCode::unavailable, {"protocol version '1999-01-01'"}},
      {"no-tools-capability", ErrorCode::unavailable, {"capabilities.tools"}},
  });
}

TEST_F(McpStoreTest, OutOfOrderMessagesAndStderrFloodStillWork) {
  for (const char* fault : {"out-of-order", "stderr-flood"}) {
    SCOPED_TRACE(fault);
    m_mcp.vault.reset();
    auto store = mcp_store({fault});
    const auto written = store->write(k_path, version_data(1), 0);
    ASSERT_TRUE(written) << written.error().message;
    const auto read = store->read(k_path, std::nullopt);
    ASSERT_TRUE(read) << read.error().message;
    vault_test::expect_data_is(read->data, 1);
    expect_server_gone(store);
  }
  // The double logs the pings keyd answered.
  bool answered_ping = false;
  for (const auto& entry : call_log()) answered_ping = answered_ping || entry.value("answered", false);
  EXPECT_TRUE(answered_ping);
}

TEST_F(McpStoreTest, VaultRefusalsMapToNotFoundAndUnauthorized) {
  auto store = mcp_store();
  const auto missing = store->read("other/swarm-key", std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found) << missing.error().message;
  EXPECT_TRUE(contains(missing.error().message, "secret/other/swarm-key")) << missing.error().message;

  // A token without access: the server's vault CLI gets 403.
  const auto weak = m_mcp.vault.control("POST", "tokens", {{"ttl", "1h"}, {"policies", {"default"}}})["token"];
  remember_secret(weak.get<std::string>());
  McpOptions options;
  options.command = m_mcp.command();
  for (auto [name, value] : m_mcp.environment()) {
    if (name == "VAULT_TOKEN") value = weak.get<std::string>();
    options.environment.emplace_back(name, Secret::from_text(value));
  }
  auto denied_store = make_mcp_store(std::move(options));
  ASSERT_TRUE(denied_store);
  const auto denied = (*denied_store)->read(k_path, std::nullopt);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::unauthorized) << denied.error().message;
  expect_clean(denied.error().message, weak.get<std::string>());
}

TEST_F(McpStoreTest, NoKeyInLogsAtTraceLevel) {
  testing::LogCapture capture;
  {
    auto store = mcp_store();
    write_versions(*store, 2);
    ASSERT_TRUE(store->read(k_path, std::nullopt));
    ASSERT_TRUE(store->metadata(k_path));
  }
  const std::string logs = capture.text();
  EXPECT_TRUE(contains(logs, "MCP vault_write secret/ipfs-overlay/swarm-key: version 2 verified")) << logs;
  expect_no_secret(logs);
}

}  // namespace
}  // namespace keyd::adapters::mcp_test
