// Issue 14 item 3: every stored version is accounted for in the audit trail, even when keyd is
// killed between the store write and its audit entry. The real binary is killed at named points
// (the KEYD_TEST_CRASH_AT test hook) and at random times (kill -9 around `keyd rotate`), then the
// next command must record what was stored, and `keyd audit verify --config` must be clean.
#include "cli_support.hpp"
#include "vault_cli_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace keyd::testing {
namespace {

using nlohmann::json;

constexpr const char* k_roomy_config = R"(store:
  backend: file
  file: {dir: .keyd/store, max_versions: 100}
audit: {file: .keyd/audit.jsonl}
swarms:
  - name: ipfs-overlay
    path: ipfs-overlay/swarm-key
    targets:
      - {type: file, path: .keyd/ipfs/swarm.key}
)";

std::vector<json> audit_entries(const std::filesystem::path& file) {
  std::vector<json> out;
  std::istringstream in(std::filesystem::exists(file) ? read_file(file) : std::string());
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// Versions that an entry records as written: a rotate/import/rollback success or a recovered entry.
std::set<int> recorded_versions(const std::filesystem::path& file) {
  std::set<int> out;
  for (const auto& e : audit_entries(file)) {
    if (!e.contains("version") || e.value("outcome", "") != "success") continue;
    const std::string action = e.value("action", "");
    if (action == "rotate" || action == "import" || action == "rollback" || action == "recovered") {
      out.insert(e["version"].get<int>());
    }
  }
  return out;
}

std::vector<int> missing(const std::vector<int>& kept, const std::set<int>& recorded) {
  std::vector<int> out;
  for (const int v : kept)
    if (!recorded.contains(v)) out.push_back(v);
  return out;
}

std::vector<int> versions_of(const json& history) {
  std::vector<int> out;
  for (const auto& h : history) out.push_back(h["version"].get<int>());
  return out;
}

// Start `keyd args…` in `cwd` with the test's environment plus `extra`; output discarded.
pid_t spawn_keyd(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                 const std::map<std::string, std::string>& extra) {
  std::vector<std::string> argv{KEYD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> argvp;
  for (auto& a : argv) argvp.push_back(a.data());
  argvp.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argvp[0], &actions, nullptr, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn keyd failed");
  return pid;
}

// Run `keyd rotate` and SIGKILL it after `delay` (if it is still running). True when it was killed.
bool rotate_and_kill(const std::filesystem::path& cwd, const std::map<std::string, std::string>& env,
                     std::chrono::microseconds delay) {
  const pid_t pid = spawn_keyd({"rotate", "--config", "keyd.yaml"}, cwd, env);
  std::this_thread::sleep_for(delay);
  const bool killed = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return killed && WIFSIGNALED(status);
}

class AuditAccounting : public KeydCli {
 protected:
  AuditAccounting() { write_file(dir / "keyd.yaml", k_roomy_config); }
  std::filesystem::path audit_file() const { return dir / ".keyd/audit.jsonl"; }
  CommandResult crash_rotate(const std::string& point) {
    return keyd({"rotate", "--config", "keyd.yaml"}, {{"KEYD_TEST_CRASH_AT", point}});
  }
};

TEST_F(AuditAccounting, CrashAfterTheStoreWriteIsRecordedAsRecoveredByTheNextCommand) {
  ok({"rotate"});
  const auto crashed = crash_rotate("after-store-write");
  ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << "the crash hook did not fire: " << crashed.err;
  EXPECT_FALSE(recorded_versions(audit_file()).contains(2)) << "version 2 was audited before the crash";

  const auto history = ok_json({"history"});  // any command that opens the store accounts for it
  ASSERT_EQ(versions_of(history), (std::vector<int>{1, 2}));
  bool recovered = false;
  for (const auto& e : audit_entries(audit_file())) {
    if (e.value("action", "") == "recovered" && e.value("version", 0) == 2) {
      recovered = true;
      EXPECT_EQ(e["fingerprint"], history[1]["fingerprint"]);
      EXPECT_NE(e.value("detail", "").find("reason=rotate"), std::string::npos) << e.dump();
    }
  }
  EXPECT_TRUE(recovered) << read_file(audit_file());
  const auto verified = ok({"audit", "verify"});
  EXPECT_NE(verified.out.find("2 stored version(s) of 1 swarm(s) accounted for, 2 anchored"), std::string::npos)
      << verified.out;

  ok({"sync"});  // accounted once: no second recovered entry
  int recovered_entries = 0;
  for (const auto& e : audit_entries(audit_file())) recovered_entries += e.value("action", "") == "recovered";
  EXPECT_EQ(recovered_entries, 1);
}

TEST_F(AuditAccounting, EveryCrashPointLeavesEveryStoredVersionAccountedFor) {
  ok({"rotate"});
  for (const std::string point : {"after-intent", "after-store-write", "after-result"}) {
    SCOPED_TRACE(point);
    const auto crashed = crash_rotate(point);
    ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << crashed.err;
    const auto kept = versions_of(ok_json({"history"}));
    EXPECT_EQ(missing(kept, recorded_versions(audit_file())), std::vector<int>{});
    ok({"audit", "verify"});
  }
  EXPECT_EQ(versions_of(ok_json({"history"})), (std::vector<int>{1, 2, 3}));  // after-intent stored nothing
}

TEST_F(AuditAccounting, VerifyWithConfigNamesAStoredVersionWithoutAnEntry) {
  ok({"rotate"});
  ASSERT_EQ(crash_rotate("after-store-write").exit_code, 128 + SIGKILL);
  // Before any other command ran: the chain is intact, but version 2 has no entry.
  EXPECT_EQ(keyd({"audit", "verify", "--file", ".keyd/audit.jsonl"}).exit_code, 0);
  const auto r = keyd({"audit", "verify", "--config", "keyd.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("swarm ipfs-overlay version 2: no audit entry records it as written"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("version 1:"), std::string::npos) << r.err;
}

// kill -9 at random times around `keyd rotate`; afterwards every kept version has an entry.
TEST_F(AuditAccounting, RandomKillsAroundRotateLeaveNoVersionUnaccounted) {
  ok({"rotate"});
  const auto started = std::chrono::steady_clock::now();
  ok({"rotate"});
  const auto one_rotation = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> delay(0, one_rotation.count() * 12 / 10);
  int killed = 0;
  for (int i = 0; i < 20; ++i) killed += rotate_and_kill(dir.path(), {}, std::chrono::microseconds(delay(random)));
  const auto kept = versions_of(ok_json({"history"}));
  std::cout << "[ measured ] " << killed << " of 20 rotations killed, " << kept.size() << " versions stored, "
            << "one rotation took " << one_rotation.count() << " us\n";
  EXPECT_EQ(missing(kept, recorded_versions(audit_file())), std::vector<int>{});
  const auto r = keyd({"audit", "verify", "--config", "keyd.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

class VaultAuditAccounting : public VaultCli {};

TEST_F(VaultAuditAccounting, RandomKillsAroundRotateOnVaultLeaveNoVersionUnaccounted) {
  const auto e = token_env(vault.root_token());
  ok({"rotate"}, e);
  ASSERT_EQ(keyd({"rotate"}, [&] {
              auto crash = e;
              crash.emplace("KEYD_TEST_CRASH_AT", "after-store-write");
              return crash;
            }()).exit_code,
            128 + SIGKILL);
  const auto started = std::chrono::steady_clock::now();
  ok({"rotate"}, e);
  const auto one_rotation = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> delay(0, one_rotation.count() * 12 / 10);
  for (int i = 0; i < 6; ++i) (void)rotate_and_kill(dir.path(), e, std::chrono::microseconds(delay(random)));
  const auto history = ok_json({"history"}, e);
  std::vector<int> kept = versions_of(history);
  EXPECT_GE(kept.size(), 3U);
  EXPECT_EQ(missing(kept, recorded_versions(dir / ".keyd/audit.jsonl")), std::vector<int>{});
  const auto r = keyd({"audit", "verify"}, e);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stored_data(2)["data"].value("audit_anchor", "").empty(), false) << "no anchor stored in Vault";
}

}  // namespace
}  // namespace keyd::testing
