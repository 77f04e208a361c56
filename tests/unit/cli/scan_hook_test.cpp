// The pre-commit hook (scripts/hooks/pre-commit) and its installer, in repositories made by the test.
#include "scan_cli_support.hpp"

namespace keyd::testing {
namespace {

const std::filesystem::path k_install = std::filesystem::path(KEYD_SOURCE_DIR) / "scripts/install-hooks.sh";
const std::filesystem::path k_hook = std::filesystem::path(KEYD_SOURCE_DIR) / "scripts/hooks/pre-commit";

CommandResult install(GitRepo& repo, std::vector<std::string> args = {}) {
  args.insert(args.begin(), k_install.string());
  args.push_back(repo.path().string());
  return run_command(args, repo.path(), git_env());
}

CommandResult commit_with_hook(GitRepo& repo, const std::string& keyd_path) {
  auto env = git_env();
  env["KEYD"] = keyd_path;
  return run_command({program_in_path("git"), "commit", "-q", "-m", "change"}, repo.path(), env);
}

TEST(ScanHook, RefusesACommitThatAddsAKeyAndLetsOthersThrough) {
  GitRepo repo;
  repo.commit({{"README.md", "hello\n"}}, "start");
  const auto installed = install(repo);
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_EQ(read_file(repo / ".git/hooks/pre-commit"), read_file(k_hook));
  const std::string before = repo.head();

  const TestKey k = make_test_key();
  write_file(repo / "deploy/swarm.key", k.file);
  repo.git({"add", "deploy/swarm.key"});
  const auto refused = commit_with_hook(repo, KEYD_BINARY);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("deploy/swarm.key:3: swarm key (base16) fingerprint " + k.fingerprint),
            std::string::npos)
      << refused.out << refused.err;
  EXPECT_NE(refused.err.find("commit refused"), std::string::npos) << refused.err;
  expect_no_key(refused, k);
  EXPECT_EQ(repo.head(), before);

  repo.git({"rm", "-q", "--cached", "deploy/swarm.key"});
  write_file(repo / "README.md", "hello, no key here\n");
  repo.git({"add", "README.md"});
  const auto accepted = commit_with_hook(repo, KEYD_BINARY);
  EXPECT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;
  EXPECT_NE(repo.head(), before);
}

TEST(ScanHook, RefusesWhenKeydCannotBeFound) {
  GitRepo repo;
  ASSERT_EQ(install(repo).exit_code, 0);
  write_file(repo / "a.txt", "a\n");
  repo.git({"add", "a.txt"});
  const auto r = commit_with_hook(repo, (repo / "no-such-keyd").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pre-commit: keyd not found"), std::string::npos) << r.err;
}

TEST(ScanHook, InstallerKeepsADifferentHookUnlessForced) {
  GitRepo repo;
  write_file(repo / ".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
  auto r = install(repo);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists and is a different hook"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(repo / ".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n");

  r = install(repo, {"--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(repo / ".git/hooks/pre-commit"), read_file(k_hook));
  EXPECT_EQ(read_file(repo / ".git/hooks/pre-commit.keyd-backup"), "#!/bin/sh\necho mine\n");
  EXPECT_EQ(std::filesystem::status(repo / ".git/hooks/pre-commit").permissions() & std::filesystem::perms::owner_exec,
            std::filesystem::perms::owner_exec);

  r = install(repo);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("already keyd's pre-commit hook"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace keyd::testing
