// One `keyd daemon --config keyd.yaml` process run in a directory, for the tests that run the real
// daemon: stderr in <dir>/<name>.log, environment PATH and HOME=<dir> only (so no in-cluster
// Kubernetes settings leak in); SIGKILLed when destroyed.
#pragma once

#include "support/test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace keyd::testing {

class DaemonProcess {
 public:
  DaemonProcess(const std::filesystem::path& dir, const std::string& name)
      : m_log(dir / (name + ".log")), m_out(dir / (name + ".out")) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    std::vector<std::string> args{KEYD_BINARY, "--log-level", "info", "daemon", "--config", "keyd.yaml"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const char* path = std::getenv("PATH");
    std::vector<std::string> env{std::string("PATH=") + (path != nullptr ? path : "/usr/bin:/bin"),
                                 "HOME=" + dir.string()};
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    m_started = std::chrono::steady_clock::now();
    const int rc = posix_spawn(&m_pid, KEYD_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start keyd daemon");
  }
  ~DaemonProcess() {
    if (m_pid > 0) kill_now();
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  [[nodiscard]] std::string log() const { return read_file(m_log); }
  // What it printed on standard output (audit.sink stdout: its audit lines).
  [[nodiscard]] std::string out() const { return read_file(m_out); }
  [[nodiscard]] pid_t pid() const { return m_pid; }
  [[nodiscard]] std::chrono::steady_clock::time_point started() const { return m_started; }

  // The first group (or the whole match) of the `occurrence`-th match of `pattern` in the log,
  // polled until `timeout`; "" when there is none.
  [[nodiscard]] std::string wait_log(const std::string& pattern, int occurrence = 1,
                                     std::chrono::milliseconds timeout = std::chrono::seconds{8}) const {
    const std::regex re(pattern);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = log();
      int seen = 0;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
        if (++seen == occurrence) return it->size() > 1 ? (*it)[1].str() : it->str();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return {};
  }

  // The API port of the `occurrence`-th start (a restart in place logs another); -1 when none.
  [[nodiscard]] int port(int occurrence = 1) const {
    const std::string p = wait_log(R"(listening on http://127\.0\.0\.1:(\d+))", occurrence);
    return p.empty() ? -1 : std::stoi(p);
  }

  // The Lease holder identity of this process: "<hostname>_<pid>".
  [[nodiscard]] std::string identity() const {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "_" + std::to_string(m_pid);
  }

  void signal(int sig) const { ::kill(m_pid, sig); }
  // Still running (not exited, not a zombie).
  [[nodiscard]] bool running() {
    int status = 0;
    return m_pid > 0 && ::waitpid(m_pid, &status, WNOHANG) == 0;
  }
  // Exit status (-1 when it did not exit in time).
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds{8}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    return -1;
  }
  void kill_now() {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }

 private:
  std::filesystem::path m_log;
  std::filesystem::path m_out;
  pid_t m_pid = -1;
  std::chrono::steady_clock::time_point m_started;
};

}  // namespace keyd::testing
