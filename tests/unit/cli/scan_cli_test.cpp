// End-to-end: `keyd scan` on directories, on the history of git repositories made by the test, and
// on staged changes. Every output is searched for the keys; they are generated at run time.
#include "scan_cli_support.hpp"

#include <nlohmann/json.hpp>

namespace keyd::testing {
namespace {

std::string secret_manifest(const TestKey& k) {
  std::string indented;
  for (std::size_t at = 0; at < k.file.size();) {
    const auto nl = k.file.find('\n', at);
    indented += "    " + k.file.substr(at, nl - at + 1);
    at = nl + 1;
  }
  return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ipfs-swarm-key\nstringData:\n  swarm.key: |\n" + indented;
}

TEST(ScanCli, CleanTreeIsSilent) {
  TempDir dir;
  write_file(dir / "README.md", "The key file starts with /key/swarm/psk/1.0.0/ and a codec line.\n");
  write_file(dir / "package-lock.json", "{\"integrity\": \"sha512-" + base64_of(std::string(64, 'q')) +
                                            "\", \"sha256\": \"" + std::string(64, 'e') + "\"}\n");
  write_file(dir / "sub/Cargo.lock", "checksum = \"" + make_test_key().hex + "\"\n");
  const auto r = run_keyd({"scan"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "keyd scan: 0 swarm keys found in 3 files (" +
                       std::to_string(std::filesystem::file_size(dir / "README.md") +
                                      std::filesystem::file_size(dir / "package-lock.json") +
                                      std::filesystem::file_size(dir / "sub/Cargo.lock")) +
                       " bytes)\n");
}

TEST(ScanCli, FindsKeysInFilesAndNeverPrintsThem) {
  TempDir dir;
  const TestKey a = make_test_key(), b = make_test_key(), c = make_test_key();
  write_file(dir / "manifests/secret.yaml", secret_manifest(a));
  write_file(dir / "manifests/secret-data.yaml", "kind: Secret\ndata:\n  swarm.key: " + base64_of(b.file) + "\n");
  write_file(dir / "deploy.env", "X=1\nIPFS_SWARM_KEY=" + c.hex + "\n");
  write_file(dir / "placeholder.yaml",
             "stringData:\n  swarm.key: \"/key/swarm/psk/1.0.0/\\n/base16/\\n" + std::string(64, '0') + "\\n\"\n");
  const auto r = run_keyd({"scan", "--log-level", "debug"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "deploy.env:2: swarm key (labelled hex) fingerprint " + c.fingerprint + "\n" +
                       "manifests/secret-data.yaml:3: swarm key (base64 key file) fingerprint " + b.fingerprint + "\n" +
                       "manifests/secret.yaml:9: swarm key (base16) fingerprint " + a.fingerprint + "\n" +
                       "placeholder.yaml:2: swarm key (base16, weak) fingerprint 708a75afd05affb08736cbf17c73773e\n");
  EXPECT_NE(r.err.find("keyd scan: 4 swarm keys found in 4 files"), std::string::npos) << r.err;
  for (const auto* k : {&a, &b, &c}) expect_no_key(r, *k);

  // Paths given explicitly are shown as given; JSON carries the same.
  const auto j = run_keyd({"scan", "--output", "json", "deploy.env", "manifests"}, dir.path());
  EXPECT_EQ(j.exit_code, 1);
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["findings"].size(), 3U) << j.out;
  EXPECT_EQ(doc["findings"][0]["path"], "deploy.env");
  EXPECT_EQ(doc["findings"][0]["line"], 2);
  EXPECT_EQ(doc["findings"][0]["encoding"], "labelled hex");
  EXPECT_EQ(doc["findings"][0]["weak"], false);
  EXPECT_EQ(doc["findings"][0]["fingerprint"], c.fingerprint);
  EXPECT_FALSE(doc["findings"][0].contains("commit"));
  EXPECT_EQ(doc["findings"][2]["path"], "manifests/secret.yaml");
  EXPECT_EQ(doc["files"], 3);
  EXPECT_TRUE(doc["errors"].empty());
  for (const auto* k : {&a, &b, &c}) expect_no_key(j, *k);
}

TEST(ScanCli, GitHistoryFindsAKeyCommittedThenDeleted) {
  GitRepo repo;
  const TestKey k = make_test_key();
  repo.commit({{"README.md", "hello\n"}}, "start");
  const std::string added = repo.commit({{"config/secret.yaml", secret_manifest(k)}}, "add the swarm key");
  repo.remove_and_commit("config/secret.yaml", "oops, remove it");
  repo.commit({{"README.md", "hello again\n"}}, "later");

  const auto plain = repo.keyd({"scan"});
  EXPECT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_EQ(plain.out, "");

  const auto r = repo.keyd({"scan", "--git-history"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "config/secret.yaml:9: swarm key (base16) fingerprint " + k.fingerprint + " in commit " +
                       repo.short_id(added) + "\n");
  EXPECT_NE(r.err.find("keyd scan: 1 swarm key found in 4 commits"), std::string::npos) << r.err;
  expect_no_key(r, k);

  const auto j = repo.keyd({"scan", "--git-history", "--output", "json", repo.path().string()});
  EXPECT_EQ(j.exit_code, 1);
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["findings"].size(), 1U);
  EXPECT_EQ(doc["findings"][0]["commit_id"], added);
  EXPECT_EQ(doc["findings"][0]["line"], 9);
  EXPECT_EQ(doc["commits"], 4);
}

TEST(ScanCli, GitHistoryFindsARotatedKeyLineOnABranch) {
  GitRepo repo;
  const TestKey a = make_test_key(), b = make_test_key();
  const std::string first = repo.commit({{"swarm.key", a.file}}, "key");
  repo.git({"checkout", "-q", "-b", "side"});
  const std::string rotated = repo.commit({{"swarm.key", b.file}}, "rotate");  // only line 3 changes
  repo.git({"checkout", "-q", "main"});
  repo.remove_and_commit("swarm.key", "remove");

  const auto r = repo.keyd({"scan", "--git-history"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "swarm.key:3: swarm key (base16) fingerprint " + a.fingerprint + " in commit " +
                       repo.short_id(first) + "\n" + "swarm.key:3: swarm key (base16) fingerprint " + b.fingerprint +
                       " in commit " + repo.short_id(rotated) + "\n");
  expect_no_key(r, a);
  expect_no_key(r, b);
}

TEST(ScanCli, StagedScansWhatTheNextCommitWouldAdd) {
  GitRepo repo;
  const TestKey k = make_test_key();
  repo.commit({{"README.md", "hello\n"}}, "start");
  write_file(repo / "app/.env", "A=1\nB=2\nSWARM_KEY=\"" + k.hex + "\"\n");
  repo.git({"add", "app/.env"});
  const auto r = repo.keyd({"scan", "--staged"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "app/.env:3: swarm key (labelled hex) fingerprint " + k.fingerprint + "\n");
  expect_no_key(r, k);

  repo.git({"restore", "--staged", "app/.env"});
  const auto clean = repo.keyd({"scan", "--staged"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out, "");
}

TEST(ScanCli, AllowlistByFingerprintWithReason) {
  GitRepo repo;
  const TestKey fixture = make_test_key(), leak = make_test_key();
  repo.commit({{"tests/vector.key", fixture.file}, {"prod.env", "SWARM_KEY=" + leak.hex + "\n"}}, "both");
  write_file(repo / ".keyd-scan-allow", "# public test vectors\n" + fixture.fingerprint + "  # fixture for tests\n");

  auto r = repo.keyd({"scan", "--git-history"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.find(fixture.fingerprint), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("prod.env:1: swarm key (labelled hex) fingerprint " + leak.fingerprint), std::string::npos);
  EXPECT_NE(r.err.find("; 1 allowed by " + (repo / ".keyd-scan-allow").string()), std::string::npos) << r.err;

  write_file(repo / ".keyd-scan-allow", fixture.fingerprint + " # fixture\n" + leak.fingerprint + " # also\n");
  r = repo.keyd({"scan", "."});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = repo.keyd({"scan", "--no-allow", "."});
  EXPECT_EQ(r.exit_code, 1);
  write_file(repo / "other-allow", leak.fingerprint + " # only this one\n");
  r = repo.keyd({"scan", "--allow", "other-allow", "."});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("tests/vector.key:3: swarm key (base16) fingerprint " + fixture.fingerprint), std::string::npos)
      << r.out;

  write_file(repo / ".keyd-scan-allow", "\n" + fixture.fingerprint + "\n");
  r = repo.keyd({"scan", "."});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(".keyd-scan-allow: line 2: the fingerprint needs a reason"), std::string::npos) << r.err;
}

TEST(ScanCli, UsageAndReadErrorsExitTwo) {
  TempDir dir;
  const TestKey k = make_test_key();
  write_file(dir / "a.env", "psk=" + k.hex + "\n");
  auto r = run_keyd({"scan", "missing.txt"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("keyd: error: cannot read missing.txt: No such file or directory"), std::string::npos) << r.err;
  r = run_keyd({"scan", "missing.txt", "a.env"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << "a found key wins over a read error";
  EXPECT_NE(r.err.find("cannot read missing.txt"), std::string::npos);
  r = run_keyd({"scan", "--git-history"}, dir.path(), git_env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a git repository"), std::string::npos) << r.err;
  r = run_keyd({"scan", "--git-history", "a", "b"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  r = run_keyd({"scan", "--git-history", "--staged"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  r = run_keyd({"scan", "--timeout", "soon", "."}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  r = run_keyd({"scan", "--allow", "nope", "."}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read allowlist nope"), std::string::npos) << r.err;
  r = run_keyd({"scan", "--help"}, dir.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("keyd scan --git-history"), std::string::npos);
}

}  // namespace
}  // namespace keyd::testing
