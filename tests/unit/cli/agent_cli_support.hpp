// Helpers for the `keyd agent` end-to-end tests: the Vault double with a Kubernetes auth role for
// the IPFS pods (policies/keyd-reader.hcl), a rotating config (root token) and an agent config
// (Kubernetes auth from a service-account token file), and a keyd process left running.
#pragma once

#include "vault_cli_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

namespace keyd::testing {

// A keyd process running in the background, stdout/stderr into files; SIGTERM then SIGKILL on
// destruction. wait_for() polls a condition (never a blind sleep).
class BackgroundKeyd {
 public:
  BackgroundKeyd(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                 const std::map<std::string, std::string>& env)
      : m_out(cwd / "agent.stdout"), m_err(cwd / "agent.stderr") {
    std::map<std::string, std::string> full_env;
    for (const char* name : {"PATH", "HOME", "USER", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* v = std::getenv(name)) full_env[name] = v;
    }
    for (const auto& [k, v] : env) full_env[k] = v;
    std::vector<std::string> strings;
    for (const auto& [k, v] : full_env) strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{KEYD_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    const int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn keyd failed");
  }
  ~BackgroundKeyd() {
    if (m_pid > 0) (void)stop();
  }
  BackgroundKeyd(const BackgroundKeyd&) = delete;
  BackgroundKeyd& operator=(const BackgroundKeyd&) = delete;

  // SIGTERM, then the exit code (SIGKILL after 5 s: 128 + 9).
  int stop() {
    if (m_pid <= 0) return m_exit;
    ::kill(m_pid, SIGTERM);
    return wait_exit(std::chrono::seconds{5});
  }
  // The exit code once it ended by itself within `timeout`, else kill it and return -1.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (m_pid <= 0) return m_exit;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        m_exit = -1;
        return m_exit;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    m_pid = -1;
    m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return m_exit;
  }
  [[nodiscard]] bool running() const { return m_pid > 0; }
  [[nodiscard]] std::string out() const { return read_or_empty(m_out); }
  [[nodiscard]] std::string err() const { return read_or_empty(m_err); }

 private:
  static std::string read_or_empty(const std::filesystem::path& p) {
    try {
      return read_file(p);
    } catch (const std::exception&) {
      return {};
    }
  }
  std::filesystem::path m_out;
  std::filesystem::path m_err;
  pid_t m_pid = -1;
  int m_exit = -1;
};

// Poll `condition` every 10 ms for up to `timeout`.
inline bool wait_for(const std::function<bool()>& condition,
                     std::chrono::milliseconds timeout = std::chrono::seconds{8}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return condition();
}

inline std::string read_or_empty(const std::filesystem::path& p) {
  try {
    return read_file(p);
  } catch (const std::exception&) {
    return {};
  }
}

class AgentCli : public VaultCli {
 protected:
  AgentCli() {
    load_policy("keyd-reader");
    vault.control("POST", "kubernetes/roles",
                  {{"name", "keyd-reader"},
                   {"bound_service_account_names", {"ipfs-node"}},
                   {"bound_service_account_namespaces", {"ipfs"}},
                   {"policies", {"keyd-reader"}}});
    write_file(dir / "sa-token", service_account_jwt("ipfs-node", "ipfs"));
    write_agent_config("    max_attempts: 1\n");
  }

  // agent.yaml: the same swarm, Kubernetes auth as the pod would log in.
  void write_agent_config(const std::string& extra_vault_lines) {
    write_file(dir / "agent.yaml",
               "store:\n  backend: vault\n  vault:\n    mount: secret\n"
               "    auth: {method: kubernetes, role: keyd-reader, jwt_file: sa-token}\n" +
                   extra_vault_lines +
                   "audit: {file: .keyd/agent-audit.jsonl}\n"
                   "swarms:\n"
                   "  - name: ipfs-overlay\n"
                   "    path: ipfs-overlay/swarm-key\n");
  }

  // keyd rotate with the root token (what the rotating job does); returns the new key file text.
  std::string rotate() {
    ok({"rotate"}, token_env(vault.root_token()));
    return stored_data()["data"]["swarm.key"].get<std::string>();
  }

  CommandResult agent(std::vector<std::string> args, std::map<std::string, std::string> extra_env = {}) {
    std::vector<std::string> full{"agent", "--config", "agent.yaml"};
    full.insert(full.end(), args.begin(), args.end());
    return run_keyd(full, dir.path(), env(std::move(extra_env)));
  }

  int requests_to(std::string_view path_prefix) {
    int n = 0;
    for (const auto& r : vault.requests()) {
      n += r["path"].get<std::string>().rfind(path_prefix, 0) == 0 ? 1 : 0;
    }
    return n;
  }

  // The 64 hex digits of a canonical key file, to search outputs for.
  static std::string hex_of(const std::string& key_file) {
    const auto nl = key_file.rfind('\n', key_file.size() - 2);
    return key_file.substr(nl + 1, 64);
  }
};

}  // namespace keyd::testing
