// The scan sources: the patch parser (white box, on hand-written git output), the file walker and
// the git child process (timeout, failure). Keys are generated at run time.
#include "keyd/adapters/scan/scan_sources.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "scan/scan_git_internal.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace keyd::adapters {
namespace {

using detail::PatchScanner;

struct Key {
  std::string hex;
  std::string fingerprint;
};

Key new_key() {
  auto key = domain::generate_swarm_key().value();
  static constexpr std::string_view digits = "0123456789abcdef";
  Key k;
  for (const std::uint8_t b : key.bytes()) {
    k.hex += digits[b >> 4U];
    k.hex += digits[b & 0xfU];
  }
  k.fingerprint = key.fingerprint().hex();
  return k;
}

std::string commit_line(const std::string& id) {
  return std::string(PatchScanner::k_commit_marker) + id + " " + id.substr(0, 7) + "\n\n";
}

// Three commits as `git log -p --unified=2 --reverse` prints them: a key file added, its key line
// alone replaced (the header lines are context), then the file deleted.
std::string history(const Key& a, const Key& b) {
  const std::string c1(40, '1'), c2(40, '2'), c3(40, '3');
  return commit_line(c1) +
         "diff --git a/cfg/swarm.key b/cfg/swarm.key\nnew file mode 100644\nindex 0000000..1111111\n" +
         "--- /dev/null\n+++ b/cfg/swarm.key\n@@ -0,0 +1,3 @@\n+/key/swarm/psk/1.0.0/\n+/base16/\n+" + a.hex + "\n" +
         commit_line(c2) + "diff --git a/cfg/swarm.key b/cfg/swarm.key\nindex 1111111..2222222 100644\n" +
         "--- a/cfg/swarm.key\n+++ b/cfg/swarm.key\n@@ -1,3 +1,3 @@\n /key/swarm/psk/1.0.0/\n /base16/\n-" + a.hex +
         "\n+" + b.hex + "\n" + commit_line(c3) +
         "diff --git a/cfg/swarm.key b/cfg/swarm.key\ndeleted file mode 100644\n" +
         "--- a/cfg/swarm.key\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-/key/swarm/psk/1.0.0/\n-/base16/\n-" + b.hex + "\n";
}

void expect_history_hits(const ScanResult& r, const Key& a, const Key& b) {
  ASSERT_EQ(r.hits.size(), 2U);
  EXPECT_EQ(r.hits[0].path, "cfg/swarm.key");
  EXPECT_EQ(r.hits[0].finding.line, 3U);
  EXPECT_EQ(r.hits[0].finding.fingerprint.hex(), a.fingerprint);
  EXPECT_EQ(r.hits[0].commit, std::string(40, '1'));
  EXPECT_EQ(r.hits[0].short_commit, "1111111");
  EXPECT_EQ(r.hits[1].finding.fingerprint.hex(), b.fingerprint);
  EXPECT_EQ(r.hits[1].finding.line, 3U);
  EXPECT_EQ(r.hits[1].commit, std::string(40, '2'));
  EXPECT_EQ(r.commits, 3U);
}

TEST(PatchScanner, ReportsEachKeyInTheCommitThatAddedItsLine) {
  const Key a = new_key(), b = new_key();
  PatchScanner scanner;
  scanner.feed(history(a, b));
  scanner.finish();
  expect_history_hits(scanner.take_result(), a, b);
}

TEST(PatchScanner, ChunkBoundariesDoNotMatter) {
  const Key a = new_key(), b = new_key();
  const std::string text = history(a, b);
  PatchScanner scanner;
  for (char c : text) scanner.feed(std::string_view(&c, 1));
  scanner.finish();
  expect_history_hits(scanner.take_result(), a, b);
}

TEST(PatchScanner, KeyInContextIsNotAddedAndARepeatIsReportedOnce) {
  const Key a = new_key();
  // Commit b edits the line next to a key (seen here as context only): nothing to report. Commit c
  // rewrites the key's line (CRLF now): that adds it. Commit d adds it again: already reported.
  const std::string readd = "+++ b/env\n@@ -1 +1 @@\n-SWARM_KEY=" + a.hex + "\n+SWARM_KEY=" + a.hex + "\r\n";
  const std::string text = commit_line(std::string(40, 'b')) + "+++ b/env\n@@ -1,2 +1,2 @@\n SWARM_KEY=" + a.hex +
                           "\n-X=1\n+X=2\n" + commit_line(std::string(40, 'c')) + readd +
                           commit_line(std::string(40, 'd')) + readd;
  PatchScanner scanner;
  scanner.feed(text);
  scanner.finish();
  const auto r = scanner.take_result();
  ASSERT_EQ(r.hits.size(), 1U);
  EXPECT_EQ(r.hits[0].finding.encoding, domain::KeyEncoding::base16);
  EXPECT_EQ(r.hits[0].finding.found_as, domain::FoundAs::labelled_hex);
  EXPECT_EQ(r.hits[0].finding.fingerprint.hex(), a.fingerprint);
  EXPECT_EQ(r.hits[0].short_commit, "ccccccc");
  EXPECT_EQ(r.commits, 3U);
}

TEST(PatchScanner, ContentThatLooksLikeHeadersStaysContentAndLineNumbersFollowTheHunk) {
  const Key a = new_key();
  // Added lines that read like diff headers, "\ No newline" markers, and a second hunk at line 40.
  const std::string text =
      "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,0 +1,2 @@\n+++ b/other\n+@@ -1 +1 @@\n"
      "\\ No newline at end of file\n@@ -30,2 +40,3 @@\n ctx\n+psk = \"" +
      a.hex + "\"\n ctx\n";
  PatchScanner scanner;
  scanner.feed(text);
  scanner.finish();
  const auto r = scanner.take_result();
  ASSERT_EQ(r.hits.size(), 1U);
  EXPECT_EQ(r.hits[0].path, "x");
  EXPECT_EQ(r.hits[0].finding.line, 41U);
  EXPECT_TRUE(r.hits[0].commit.empty());
}

TEST(PatchScanner, DiffPathUnquotesGitCQuoting) {
  EXPECT_EQ(detail::diff_path("b/dir/file.yaml"), "dir/file.yaml");
  EXPECT_EQ(detail::diff_path("/dev/null"), "");
  EXPECT_EQ(detail::diff_path("\"b/caf\\303\\251 \\\"x\\\"\\ttab\""), "caf\xc3\xa9 \"x\"\ttab");
}

class ScanFiles : public ::testing::Test {
 protected:
  testing::TempDir dir;
  Key key = new_key();
  std::string key_file() const { return "/key/swarm/psk/1.0.0/\n/base16/\n" + key.hex + "\n"; }
};

TEST_F(ScanFiles, WalksInNameOrderSkippingGitSymlinksAndLargeFiles) {
  testing::write_file(dir / "root/b/deep/secret.yaml", "a: 1\nb: |\n  " + key_file());
  testing::write_file(dir / "root/a.env", "SWARM_KEY=" + key.hex + "\n");
  testing::write_file(dir / "root/.git/config", key_file());
  testing::write_file(dir / "outside/swarm.key", key_file());
  std::filesystem::create_symlink(dir / "outside/swarm.key", dir / "root/link.key");
  std::filesystem::create_symlink(dir / "outside", dir / "root/linkdir");
  testing::write_file(dir / "root/big.txt", std::string(300, 'x') + key_file());
  ASSERT_EQ(::mkfifo((dir / "root/fifo").c_str(), 0600), 0);

  const auto r = scan_files({dir / "root"}, 200);
  ASSERT_EQ(r.hits.size(), 2U);
  EXPECT_EQ(r.hits[0].path, (dir / "root").string() + "/a.env");
  EXPECT_EQ(r.hits[0].finding.line, 1U);
  EXPECT_EQ(r.hits[1].path, (dir / "root").string() + "/b/deep/secret.yaml");
  EXPECT_EQ(r.hits[1].finding.line, 5U);
  EXPECT_EQ(r.hits[1].finding.fingerprint.hex(), key.fingerprint);
  ASSERT_EQ(r.skipped.size(), 1U);
  EXPECT_NE(r.skipped[0].find("big.txt: skipped"), std::string::npos) << r.skipped[0];
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.files, 2U);

  // A symbolic link named explicitly is followed.
  const auto named = scan_files({dir / "root/link.key"});
  ASSERT_EQ(named.hits.size(), 1U);
  EXPECT_EQ(named.hits[0].finding.line, 3U);
}

TEST_F(ScanFiles, ReadErrorsNameThePathAndTheScanGoesOn) {
  testing::write_file(dir / "ok.env", "psk=" + key.hex + "\n");
  const auto r = scan_files({dir / "missing", dir / "ok.env"});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].message.find("cannot read " + (dir / "missing").string() + ": "), 0U) << r.errors[0].message;
  ASSERT_EQ(r.hits.size(), 1U);
  EXPECT_EQ(r.hits[0].path, (dir / "ok.env").string());
}

TEST(RunGit, FailureNamesTheCommandAndGitsReason) {
  testing::TempDir dir;
  const auto st = detail::run_git(dir.path(), {"log"}, std::chrono::seconds(20), [](std::string_view) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::io);
  EXPECT_NE(st.error().message.find("git log in " + dir.path().string() + " failed (exit status 128)"),
            std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("not a git repository"), std::string::npos) << st.error().message;
}

TEST(RunGit, TimeoutKillsGitAndWhatItStarted) {
  testing::TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  const auto st = detail::run_git(dir.path(), {"-c", "alias.hang=!sleep 30", "hang"},
                                       std::chrono::milliseconds(300), [](std::string_view) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::timeout);
  EXPECT_NE(st.error().message.find("no result within 300 ms (killed)"), std::string::npos) << st.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace keyd::adapters
