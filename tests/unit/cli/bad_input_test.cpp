// Bad input is refused before anything changes (issue 14 item 7): exit 2, nothing stored, nothing
// delivered, and an answer within seconds for devices and FIFOs.
#include "cli_support.hpp"
#include "scan_cli_support.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace keyd::testing {
namespace {

namespace fs = std::filesystem;

class BadInput : public KeydCli {
 protected:
  // keyd under coreutils' timeout, so a hang fails the test (exit 124) instead of the suite.
  CommandResult bounded(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/timeout", "10", KEYD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, dir.path());
  }
  void expect_nothing_changed() {
    EXPECT_FALSE(fs::exists(dir / ".keyd/store")) << "the store was created";
    EXPECT_FALSE(fs::exists(dir / ".keyd/ipfs/swarm.key")) << "a key was delivered";
  }
};

TEST_F(BadInput, AConfigValueThatIsNotUtf8StoresAndDeliversNothing) {
  write_file(dir / "bad.yaml", "swarms:\n  - name: s\n    targets: [{type: file, path: \".keyd/ipfs/swarm\xff.key\"}]\n");
  auto r = keyd({"rotate", "--config", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("bad.yaml:3:51: byte 0xff is not UTF-8"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(BadInput, AReservedOrBackslashedStorePathIsAConfigError) {
  for (const std::string path : {"_x", "'a\\b'"}) {
    write_file(dir / "bad.yaml", "swarms:\n  - name: s\n    path: " + path +
                                     "\n    targets: [{type: file, path: .keyd/ipfs/swarm.key}]\n");
    auto r = keyd({"rotate", "--config", "bad.yaml"});
    EXPECT_EQ(r.exit_code, 2) << path << ": " << r.err;
    EXPECT_NE(r.err.find("invalid store path"), std::string::npos) << r.err;
    expect_nothing_changed();
  }
}

TEST_F(BadInput, TwoSwarmsOnOneTargetFileAreAConfigError) {
  write_file(dir / "bad.yaml",
             "swarms:\n"
             "  - {name: a, targets: [{type: file, path: .keyd/ipfs/swarm.key}]}\n"
             "  - {name: b, targets: [{type: file, path: .keyd/ipfs/swarm.key}]}\n");
  auto r = keyd({"rotate", "--swarm", "b", "--config", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is already used by swarm 'a'"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(BadInput, AnOversizedConfigIsRefusedQuickly) {
  write_file(dir / "big.yaml", std::string(k_local_config) + "# " + std::string(8 * 1024 * 1024, 'x') + "\n");
  auto r = bounded({"rotate", "--config", "big.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("larger than 1024 KiB"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(BadInput, InspectAndImportRefuseDevicesAndFifosAtOnce) {
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  for (const std::string source : {"/dev/zero", "/dev/urandom", "fifo", "."}) {
    auto inspected = bounded({"inspect", source});
    EXPECT_EQ(inspected.exit_code, 2) << source << ": " << inspected.err;
    EXPECT_NE(inspected.err.find("not a key file"), std::string::npos) << inspected.err;
    auto imported = bounded({"import", source, "--config", "keyd.yaml"});
    EXPECT_EQ(imported.exit_code, 2) << source << ": " << imported.err;
    expect_nothing_changed();
  }
}

TEST_F(BadInput, AnOversizedKeyFileIsRefused) {
  write_file(dir / "big.key", std::string(70 * 1024, 'a'));
  auto r = bounded({"inspect", "big.key"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("big.key: more than 65536 bytes, not a key file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace keyd::testing

namespace keyd::testing {
namespace {

// A file name that is not UTF-8 once made `--output json` throw after the work was done.
TEST(BadInputOutput, JsonOutputOfANonUtf8FileNameDoesNotFail) {
  TempDir dir;
  const TestKey key = make_test_key();
  write_file(dir / "env\xff.txt", "IPFS_SWARM_KEY=" + key.hex + "\n");
  const auto r = run_keyd({"scan", "--output", "json"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;  // 1: a key was found
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["findings"].size(), 1U) << r.out;
  EXPECT_EQ(doc["findings"][0]["path"], "env\xEF\xBF\xBD.txt");
  EXPECT_EQ(doc["findings"][0]["fingerprint"], key.fingerprint);
}

}  // namespace
}  // namespace keyd::testing
