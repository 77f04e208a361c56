#include "support/double_process.hpp"

#include "support/test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace keyd::testing {

namespace {

using namespace std::chrono_literals;

constexpr auto k_start_timeout = 10s;
constexpr auto k_stop_timeout = 5s;
constexpr const char* k_python = "/usr/bin/python3";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// The number in a port file, or 0 while it does not exist yet.
int read_port_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return 0;
  try {
    return std::stoi(trim(read_file(file)));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

DoubleProcess::DoubleProcess(std::string name, std::filesystem::path dir)
    : m_name(std::move(name)), m_dir(std::move(dir)) {}

std::string DoubleProcess::log_text() const {
  try {
    return read_file(m_dir / "double.log");
  } catch (const std::exception&) {
    return {};
  }
}

std::string DoubleProcess::describe_failure(const std::string& what) const {
  return m_name + ": " + what + "; its log:\n" + log_text();
}

std::string DoubleProcess::start(const std::string& script, const std::string& token_file,
                                 const std::string& token_kind, const std::vector<std::string>& extra_args) {
  const auto port_file = m_dir / "port";
  const auto control_port_file = m_dir / "control-port";
  const auto token_path = m_dir / token_file;
  const auto log_file = m_dir / "double.log";
  std::vector<std::string> args{k_python,           script,
                                "--host",           "127.0.0.1",
                                "--port",           "0",
                                "--port-file",      port_file.string(),
                                "--control-port-file", control_port_file.string(),
                                "--quiet",          "--exit-with-parent"};
  if (!token_file.empty()) args.insert(args.end(), {"--token-file", token_path.string()});
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&actions, m_dir.c_str());
  const int rc = posix_spawn(&m_pid, k_python, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    m_pid = -1;
    throw std::runtime_error(m_name + ": cannot start " + k_python + ": " + std::strerror(rc));
  }

  const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  for (;;) {
    m_port = read_port_file(port_file);
    m_control_port = read_port_file(control_port_file);
    if (m_port > 0 && m_control_port > 0) break;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      throw std::runtime_error(describe_failure(
          "exited during start-up (" +
          (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                             : "signal " + std::to_string(WTERMSIG(status))) +
          ")"));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(describe_failure("no port file after 10 s"));
    }
    std::this_thread::sleep_for(10ms);
  }
  if (token_file.empty()) return {};
  std::string token = trim(read_file(token_path));
  if (token.empty()) throw std::runtime_error(describe_failure("empty " + token_kind + " token file"));
  return token;
}

void DoubleProcess::stop() noexcept {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + k_stop_timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(m_pid, SIGKILL);
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  m_pid = -1;
}

}  // namespace keyd::testing
