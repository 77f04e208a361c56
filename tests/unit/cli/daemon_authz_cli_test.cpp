// swarms[].operators end to end: the real `keyd daemon` binary on the embedded file store, its API
// on 127.0.0.1 (port chosen at run time, read from its log), a tokens file with a key reader and an
// operator. The reader's rotate and sync are 403 naming swarms[].operators, audited in the audit
// file with the reader as actor, and write no version; the operator's rotate writes exactly one.
#include "support/http_test_client.hpp"
#include "agent_cli_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "support/httplib_system.hpp"

namespace keyd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* k_reader_token = "authz-reader-token";
constexpr const char* k_operator_token = "authz-operator-token";

std::vector<json> audit_entries(const std::filesystem::path& file, const std::string& action) {
  std::vector<json> out;
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json entry = json::parse(line);
    if (entry.value("action", "") == action) out.push_back(entry);
  }
  return out;
}

TEST(DaemonAuthzCli, AReaderIsNotAnOperatorAndAnOperatorIsNotAReader) {
  TempDir dir;
  write_file(dir / "keyd.yaml",
             "store: {backend: file, file: {dir: .keyd/store}}\n"
             "audit: {file: .keyd/audit.jsonl}\n"
             "sync_interval: 1s\n"
             "server: {listen: \"127.0.0.1:0\", auth: {tokens_file: tokens}}\n"
             "leader_election: {lock_file: .keyd/daemon.lock}\n"
             "swarms:\n"
             "  - name: ipfs-overlay\n"
             "    key_readers: [\"token:reader\"]\n"
             "    operators: [\"token:operator\"]\n"
             "    targets: [{type: file, path: ipfs/swarm.key}]\n");
  write_file(dir / "tokens", sha256_hex(k_reader_token) + " reader\n" + sha256_hex(k_operator_token) + " operator\n");
  ::chmod((dir / "tokens").c_str(), 0600);
  BackgroundKeyd daemon({"--log-level", "info", "daemon", "--config", "keyd.yaml"}, dir.path(), {});
  const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
  std::smatch match;
  std::string err;
  ASSERT_TRUE(wait_for([&] {
    err = daemon.err();
    return std::regex_search(err, match, listening);
  })) << daemon.err();
  const int port = std::stoi(match[1].str());
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(dir / "ipfs/swarm.key"); })) << daemon.err();
  const std::string first = read_file(dir / "ipfs/swarm.key");

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5s);
  const auto post = [&](const std::string& path, const char* token) {
    return client.Post(path, {{"Authorization", std::string("Bearer ") + token}}, "", "application/json");
  };
  const auto get = [&](const std::string& path, const char* token) {
    return client.Get(path, {{"Authorization", std::string("Bearer ") + token}});
  };

  for (const char* action : {"rotate", "sync"}) {
    const auto refused = post(std::string("/v1/swarms/ipfs-overlay/") + action, k_reader_token);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << refused->body;
    EXPECT_EQ(json::parse(refused->body)["error"]["message"],
              "caller token:reader is not an operator of swarm ipfs-overlay (swarms[].operators)");
    const auto audited = audit_entries(dir / ".keyd/audit.jsonl", action);
    ASSERT_FALSE(audited.empty()) << action;
    EXPECT_EQ(audited.back()["actor"], "token:reader");
    EXPECT_EQ(audited.back()["outcome"], "failure");
  }
  EXPECT_EQ(json::parse(get("/v1/swarms/ipfs-overlay", k_reader_token)->body)["version"], 1);
  EXPECT_EQ(read_file(dir / "ipfs/swarm.key"), first) << "a refused rotation changed the key";
  EXPECT_EQ(get("/v1/swarms/ipfs-overlay/key", k_operator_token)->status, 403) << "an operator is not a reader";
  EXPECT_EQ(get("/v1/swarms/ipfs-overlay/key", k_reader_token)->status, 200);

  const auto rotated = post("/v1/swarms/ipfs-overlay/rotate", k_operator_token);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 200) << rotated->body;
  EXPECT_EQ(json::parse(rotated->body)["version"], 2);
  EXPECT_EQ(json::parse(get("/v1/swarms/ipfs-overlay", k_operator_token)->body)["version"], 2);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

}  // namespace
}  // namespace keyd::testing
