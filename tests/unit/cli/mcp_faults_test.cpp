// `keyd rotate` and `keyd fetch` through a misbehaving MCP server (the test double's faults): each is
// a clear `keyd: error:` within the configured timeout, exit status 1, no process left behind, the
// file target untouched and no new version in Vault.
#include "mcp_cli_support.hpp"

namespace keyd::testing {
namespace {

struct Fault {
  const char* name;
  std::vector<const char*> words;  // in keyd's error line
  bool stalls = false;             // the server never answers: keyd's timeout ends it
};

class McpCliFaults : public McpCli {
 protected:
  McpCliFaults() {
    write_config();
    ok({"rotate"});  // version 1, delivered
    m_delivered = read_file(target());
  }

  void expect_clean_failures(const std::vector<Fault>& faults, const std::vector<std::string>& command) {
    for (const auto& f : faults) {
      SCOPED_TRACE(f.name);
      // Stalls are cut by a short timeout; other faults must fail at once, long before a timeout
      // that a slow node start-up on a busy machine never reaches.
      write_config({f.name}, f.stalls ? "3s" : "20s");
      const auto start = std::chrono::steady_clock::now();
      const auto r = keyd(command);
      const auto took = std::chrono::steady_clock::now() - start;
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_TRUE(has(r.err, "keyd: error: ")) << r.err;
      for (const char* word : f.words) EXPECT_TRUE(has(r.err, word)) << word << " in: " << r.err;
      // The timeout (plus the start-up when it stalls on a call), then at most ~2 s for a server
      // that ignores the end of its input.
      EXPECT_LT(took, std::chrono::milliseconds(f.stalls ? 9'000 : 10'000));
      expect_server_gone();
      EXPECT_EQ(read_file(target()), m_delivered);
      EXPECT_EQ(stored_data()["metadata"]["version"], 1);
      EXPECT_FALSE(std::filesystem::exists(dir / "out.key"));
    }
  }

  std::string m_delivered;
};

TEST_F(McpCliFaults, RotateThroughServersThatDieBabbleOrStall) {
  expect_clean_failures({{"exit-at-start", {"exited with status 3", "exit-at-start fault"}},
                         {"crash-on-call", {"exited with status 1", "tool vault_metadata"}},
                         {"crash-on-write", {"exited with status 1", "tool vault_write"}},
                         {"garbage-stdout", {"not a JSON-RPC message"}},
                         {"silent-on-call", {"did not answer tools/call in time"}, true}},
                        {"rotate"});
}

TEST_F(McpCliFaults, RotateThroughServersWithoutWhatKeydNeeds) {
  expect_clean_failures({{"missing-tools", {"missing vault_write, vault_metadata", "not of keyd"}},
                         {"drop-arguments", {"path parameter is required", "known poly-secret-mcp defect"}},
                         {"bad-protocol-version", {"protocol version '1999-01-01'"}},
                         {"no-tools-capability", {"capabilities.tools"}}},
                        {"rotate"});
}

TEST_F(McpCliFaults, FetchThroughASilentServerTimesOut) {
  expect_clean_failures({{"silent", {"did not answer initialize in time"}, true}}, {"fetch", "--out", "out.key"});
}

TEST_F(McpCliFaults, ConcurrentWriterAndTamperingAreReportedAndNothingIsDelivered) {
  write_config({"concurrent-writer"}, "5s");
  auto r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "concurrent writer: keyd's write became version 3, not 2")) << r.err;
  EXPECT_EQ(read_file(target()), m_delivered);
  expect_server_gone();

  write_config({"tamper-write"}, "5s");
  r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "does not hold what keyd wrote")) << r.err;
  EXPECT_EQ(read_file(target()), m_delivered);
  ok({"audit", "verify", "--chain-only"});
  // The store now holds a version keyd never recorded as written, and whose content is not what
  // keyd's intent entry announced: the cross-check names it.
  r = keyd({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(has(r.err, "version 4: no audit entry records it as written")) << r.err;
  EXPECT_TRUE(has(r.err, "version 4: the audit entry at seq")) << r.err;
}

TEST_F(McpCliFaults, OutOfOrderAndStderrFloodDoNotMatter) {
  for (const char* fault : {"out-of-order", "stderr-flood"}) {
    SCOPED_TRACE(fault);
    write_config({fault});
    EXPECT_GT(ok_json({"rotate"})["version"].get<int>(), 1);
    ok({"fetch", "--out", std::string(fault) + ".key"});
    EXPECT_EQ(read_file(dir / (std::string(fault) + ".key")), read_file(target()));
    expect_server_gone();
  }
}

}  // namespace
}  // namespace keyd::testing
