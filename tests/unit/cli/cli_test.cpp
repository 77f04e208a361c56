// End-to-end: the built keyd binary, run in a temporary directory.
#include "cli_support.hpp"

#include <sys/stat.h>

namespace keyd::testing {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

using Cli = KeydCli;

TEST_F(Cli, RotateStoresDeliversAndReports) {
  auto j = ok_json({"rotate"});
  EXPECT_EQ(j["swarm"], "ipfs-overlay");
  EXPECT_EQ(j["version"], 1);
  const std::string fp = j["fingerprint"];
  EXPECT_EQ(fp.size(), 32U);
  ASSERT_EQ(j["targets"].size(), 1U);
  EXPECT_EQ(j["targets"][0]["target"], "file " + (dir / ".keyd/ipfs/swarm.key").string());  // next to the config
  EXPECT_EQ(j["targets"][0]["outcome"], "changed");

  const auto key_file = dir / ".keyd/ipfs/swarm.key";
  EXPECT_EQ(mode_of(key_file), 0600);
  auto inspect = keyd({"inspect", key_file.string(), "--output", "json"});
  EXPECT_EQ(inspect.exit_code, 0);
  auto ij = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(ij["valid"], true);
  EXPECT_EQ(ij["encoding"], "base16");
  EXPECT_EQ(ij["fingerprint"], fp);
  EXPECT_TRUE(ij["warnings"].empty());

  auto again = ok_json({"rotate"});
  EXPECT_EQ(again["version"], 2);
  EXPECT_NE(again["fingerprint"], fp);
}

TEST_F(Cli, TextOutputNamesVersionFingerprintAndTargets) {
  auto r = ok({"rotate"});
  EXPECT_NE(r.out.find("rotated swarm ipfs-overlay: version 1, fingerprint "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file " + (dir / ".keyd/ipfs/swarm.key").string() + ": changed"), std::string::npos) << r.out;
}

TEST_F(Cli, SyncIsANoOpWhenTargetsAreCurrentAndRepairsThemOtherwise) {
  ok({"rotate"});
  auto j = ok_json({"sync"});
  EXPECT_EQ(j["targets"][0]["outcome"], "unchanged");
  std::filesystem::remove(dir / ".keyd/ipfs/swarm.key");
  j = ok_json({"sync"});
  EXPECT_EQ(j["targets"][0]["outcome"], "changed");
}

TEST_F(Cli, HistoryAndFetchOfAnOldVersion) {
  const std::string fp1 = ok_json({"rotate"})["fingerprint"];
  const std::string fp2 = ok_json({"rotate"})["fingerprint"];
  auto h = ok_json({"history"});
  ASSERT_EQ(h.size(), 2U);
  EXPECT_EQ(h[0]["version"], 1);
  EXPECT_EQ(h[0]["fingerprint"], fp1);
  EXPECT_EQ(h[1]["fingerprint"], fp2);
  EXPECT_EQ(h[1]["reason"], "rotate");
  EXPECT_FALSE(h[1]["issued_by"].get<std::string>().empty());
  EXPECT_FALSE(h[1]["created_time"].get<std::string>().empty());

  ok({"fetch", "--version", "1", "--out", "old.key"});
  EXPECT_EQ(mode_of(dir / "old.key"), 0600);
  auto ij = nlohmann::json::parse(keyd({"inspect", "old.key", "--output", "json"}).out);
  EXPECT_EQ(ij["fingerprint"], fp1);
}

TEST_F(Cli, FetchToStdoutPrintsOnlyTheKey) {
  const std::string fp = ok_json({"rotate"})["fingerprint"];
  auto r = ok({"fetch", "--out", "-"});
  EXPECT_EQ(r.out, read_file(dir / ".keyd/ipfs/swarm.key"));
  EXPECT_NE(r.err.find(fp), std::string::npos);
  auto inspect = keyd({"inspect", "-", "--output", "json"}, {}, r.out);
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["fingerprint"], fp);
}

TEST_F(Cli, FetchKeepsAFileThatIsNotASwarmKey) {
  ok({"rotate"});
  write_file(dir / "notes.txt", "precious\n");
  auto r = keyd({"fetch", "--config", "keyd.yaml", "--out", "notes.txt"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("notes.txt already exists and does not hold a swarm key; pass --force"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_file(dir / "notes.txt"), "precious\n");
  ok({"fetch", "--out", "notes.txt", "--force"});
}

TEST_F(Cli, FetchOfAMissingVersionNamesIt) {
  ok({"rotate"});
  auto r = keyd({"fetch", "--config", "keyd.yaml", "--version", "5", "--out", "x.key"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keyd: error: "), std::string::npos);
  EXPECT_NE(r.err.find("5"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.key"));
}

TEST_F(Cli, GenerateWritesACanonicalPrivateKeyAndRefusesToOverwrite) {
  auto r = keyd({"generate", "--out", "swarm.key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(dir / "swarm.key"), 0600);
  const std::string first = read_file(dir / "swarm.key");
  EXPECT_EQ(first.rfind("/key/swarm/psk/1.0.0/\n/base16/\n", 0), 0U);
  EXPECT_EQ(first.size(), 22U + 9U + 65U);
  EXPECT_EQ(r.out.find(first.substr(31, 64)), std::string::npos);  // not echoed

  r = keyd({"generate", "--out", "swarm.key"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("swarm.key already exists; pass --force"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(dir / "swarm.key"), first);
  EXPECT_EQ(keyd({"generate", "--out", "swarm.key", "--force"}).exit_code, 0);
  EXPECT_NE(read_file(dir / "swarm.key"), first);
}

TEST_F(Cli, GenerateToStdoutAndIsAuditedWithAConfig) {
  auto r = keyd({"generate", "--out", "-", "--config", "keyd.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/key/swarm/psk/1.0.0/\n/base16/\n", 0), 0U);
  const std::string audit = read_file(dir / ".keyd/audit.jsonl");
  EXPECT_NE(audit.find("\"generate\""), std::string::npos);
  EXPECT_EQ(audit.find(r.out.substr(31, 64)), std::string::npos);
}

TEST_F(Cli, InspectRejectsWeakAndMalformedKeys) {
  write_file(dir / "zero.key", "/key/swarm/psk/1.0.0/\n/base16/\n" + std::string(64, '0') + "\n");
  auto r = keyd({"inspect", "zero.key", "--output", "json"});
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["fingerprint"], "708a75afd05affb08736cbf17c73773e");
  EXPECT_NE(j["error"].get<std::string>().find("weak"), std::string::npos);

  write_file(dir / "bad.key", "/key/swarm/psk/2.0.0/\n/base16/\n" + std::string(64, 'a') + "\n");
  r = keyd({"inspect", "bad.key", "--output", "json"});
  EXPECT_EQ(r.exit_code, 1);
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  EXPECT_FALSE(j.contains("fingerprint"));
  EXPECT_FALSE(j["error"].get<std::string>().empty());

  r = keyd({"inspect", "missing.key"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.key"), std::string::npos);
}

TEST_F(Cli, ImportAndRollback) {
  ASSERT_EQ(keyd({"generate", "--out", "mine.key"}).exit_code, 0);
  const std::string fp = nlohmann::json::parse(keyd({"inspect", "mine.key", "--output", "json"}).out)["fingerprint"];
  auto j = ok_json({"import", "mine.key"});
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["fingerprint"], fp);
  EXPECT_EQ(j["reason"], "import");
  ok({"rotate"});
  j = ok_json({"rollback", "--to-version", "1"});
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["fingerprint"], fp);
  EXPECT_EQ(j["targets"][0]["outcome"], "changed");
  auto h = ok_json({"history"});
  EXPECT_EQ(h[2]["reason"], "rollback");
}

TEST_F(Cli, AuditVerifyPassesThenNamesATamperedLine) {
  ok({"rotate"});
  ok({"rotate"});
  auto r = ok({"audit", "verify"});
  EXPECT_NE(r.out.find("hash chain intact"), std::string::npos) << r.out;

  const auto audit = dir / ".keyd/audit.jsonl";
  std::string text = read_file(audit);
  const auto pos = text.find("\"rotate\"");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 8, "\"rotatE\"");
  write_file(audit, text);
  r = keyd({"audit", "verify", "--file", ".keyd/audit.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line "), std::string::npos) << r.err;
}

TEST_F(Cli, ConfigFromTheEnvironment) {
  auto r = keyd({"rotate"}, {{"KEYD_CONFIG", "keyd.yaml"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Cli, UsageErrorsExitTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"rotate"},
                                             {"fetch", "--config", "keyd.yaml"},
                                             {"rotate", "--output", "xml"},
                                             {"rollback", "--config", "keyd.yaml", "--to-version", "0"}}) {
    auto r = keyd(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_NE(r.err.find("keyd: error: "), std::string::npos) << r.err;
  }
}

TEST_F(Cli, ConfigErrorsNameLineAndColumn) {
  write_file(dir / "bad.yaml", "store:\n  backend: file\n  filee: {}\nswarms:\n  - name: a\n");
  auto r = keyd({"rotate", "--config", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:3:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("filee"), std::string::npos) << r.err;
}

TEST_F(Cli, HelpTeaches) {
  auto r = keyd({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"rotate", "fetch", "history", "import", "rollback", "audit", "inspect", "generate"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  r = keyd({"rotate", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("check-and-set"), std::string::npos);
  EXPECT_EQ(keyd({"version"}).out, "keyd " KEYD_VERSION "\n");
  // The conventional flag too (issue 19), on stdout with exit 0, and listed in --help.
  r = keyd({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "keyd " KEYD_VERSION "\n");
  EXPECT_NE(keyd({"--help"}).out.find("--version"), std::string::npos);
}

// Every command's --help ends with an example of that command (issue 19): the last line names it.
TEST_F(Cli, EveryHelpEndsWithItsOwnExample) {
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{{"generate"},
                                                                                       {"inspect"},
                                                                                       {"rotate"},
                                                                                       {"sync"},
                                                                                       {"fetch"},
                                                                                       {"history"},
                                                                                       {"import"},
                                                                                       {"rollback"},
                                                                                       {"audit"},
                                                                                       {"audit", "verify"},
                                                                                       {"scan"},
                                                                                       {"bundle"},
                                                                                       {"daemon"},
                                                                                       {"agent"},
                                                                                       {"store"},
                                                                                       {"store", "repair"},
                                                                                       {"config"},
                                                                                       {"config", "check"},
                                                                                       {"version"}}) {
    std::vector<std::string> args = command;
    args.emplace_back("--help");
    const auto help = keyd(args);
    std::string name = "keyd";
    for (const auto& word : command) name += " " + word;
    ASSERT_EQ(help.exit_code, 0) << name;
    std::string text = help.out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const std::string last = text.substr(text.rfind('\n') + 1);
    EXPECT_NE(last.find(name), std::string::npos) << name << " --help ends with: " << last;
    EXPECT_NE(text.find("Example"), std::string::npos) << name;
  }
}

// CLI conventions (issue 19): every command that reads a configuration takes -c/--config, and no
// short flag means two things: -f is bundle's --values (as in Helm); --force is spelled out.
TEST_F(Cli, ShortFlagsMeanOneThingEverywhere) {
  for (const char* command :
       {"rotate", "sync", "fetch", "history", "import", "rollback", "daemon", "agent", "generate"}) {
    const auto help = keyd({command, "--help"});
    ASSERT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("-c,--config"), std::string::npos) << command << ":\n" << help.out;
    EXPECT_EQ(help.out.find("-f,"), std::string::npos) << command << " has a short -f:\n" << help.out;
  }
  EXPECT_NE(keyd({"bundle", "--help"}).out.find("-f,--values"), std::string::npos);
  EXPECT_EQ(keyd({"generate", "-f", "--out", "k"}).exit_code, 2) << "-f is not --force";
}

TEST_F(Cli, AFailingTargetExitsOneButKeepsTheVersion) {
  write_file(dir / "blocker", "a file where a directory should be");
  write_file(dir / "t.yaml", std::string(k_local_config) + "      - {type: file, path: blocker/swarm.key}\n");
  auto r = keyd({"rotate", "--config", "t.yaml", "--output", "json"});
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["targets"][0]["outcome"], "changed");
  EXPECT_EQ(j["targets"][1]["outcome"], "failed");
  EXPECT_NE(j["targets"][1]["error"].get<std::string>().find("blocker"), std::string::npos);
  EXPECT_NE(r.err.find("1 of 2 target(s) failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace keyd::testing

namespace keyd::testing {
namespace {

// Reading commands never build targets, so a broken kubeconfig cannot stop a fetch or a history.
TEST_F(KeydCli, FetchAndHistoryNeedNoKubernetesConnection) {
  ok({"rotate"});
  write_file(dir / "k.yaml", std::string(k_local_config) +
                                 "      - {type: kubernetes, namespace: ipfs-system, secret: s}\n"
                                 "kubernetes: {kubeconfig: does-not-exist.yaml}\n");
  auto history = keyd({"history", "--config", "k.yaml"});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  auto fetched = keyd({"fetch", "--config", "k.yaml", "--out", "f.key"});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  auto rotate = keyd({"rotate", "--config", "k.yaml"});
  EXPECT_EQ(rotate.exit_code, 2) << rotate.err;  // a delivering command still refuses, before writing
  EXPECT_NE(rotate.err.find("does-not-exist.yaml"), std::string::npos) << rotate.err;
  EXPECT_EQ(nlohmann::json::parse(keyd({"history", "--config", "k.yaml", "--output", "json"}).out).size(), 1U);
}

}  // namespace
}  // namespace keyd::testing
