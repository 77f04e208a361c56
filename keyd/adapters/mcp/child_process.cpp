// The MCP server process; see child_process.hpp.
#include "child_process.hpp"

#include "../os/errno_text.hpp"
#include "mcp_text.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::mcp {

namespace {

constexpr std::size_t k_stderr_keep = 8 * 1024;
constexpr std::size_t k_chunk = 64 * 1024;

// Only keyd's ends of the pipes: the child's stay blocking.
void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// SIGPIPE blocked for this thread while writing; a SIGPIPE raised meanwhile is consumed, so a
// server that closed its stdin yields EPIPE instead of killing keyd.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
    sigset_t pending;
    sigpending(&pending);
    m_was_pending = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (!m_was_pending) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&m_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t m_set{};
  sigset_t m_old{};
  bool m_was_pending = false;
};

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::start(const ChildCommand& command) {
  const std::string& name = command.argv.at(0);
  std::optional<std::string_view> path_variable;
  for (const auto& [key, value] : command.env) {
    if (key == "PATH") path_variable = value.reveal_text();
  }
  const auto program = detail::find_program(name, path_variable);
  if (!program) {
    return fail(ErrorCode::unavailable,
                fmt::format("MCP server command '{}' not found (in the PATH given to it: {})", name,
                            path_variable ? std::string(*path_variable) : "unset, /usr/local/bin:/usr/bin:/bin"));
  }
  detail::WipedStrings args;
  for (const auto& arg : command.argv) args.add(arg);
  detail::WipedStrings environment;
  for (const auto& [key, value] : command.env) {
    std::string entry = key + "=";
    entry.append(value.reveal_text());
    environment.add(std::move(entry));
  }
  auto argvp = args.pointers();
  auto envp = environment.pointers();

  KEYD_ASSIGN_OR_RETURN(detail::Pipe in, detail::make_pipe("MCP server stdin"));
  KEYD_ASSIGN_OR_RETURN(detail::Pipe out, detail::make_pipe("MCP server stdout"));
  KEYD_ASSIGN_OR_RETURN(detail::Pipe err, detail::make_pipe("MCP server stderr"));
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  const int rc = detail::spawn_in_new_group(child->m_pid, *program, argvp.data(), envp.data(),
                                            {{0, in.read.get()}, {1, out.write.get()}, {2, err.write.get()}});
  if (rc != 0) {
    child->m_pid = -1;
    return fail(ErrorCode::unavailable,
                fmt::format("MCP server command '{}' cannot be started: {}", *program, detail::errno_text(rc)));
  }
  child->m_stdin = std::move(in.write);
  child->m_stdout = std::move(out.read);
  child->m_stderr = std::move(err.read);
  set_nonblocking(child->m_stdin.get());
  set_nonblocking(child->m_stdout.get());
  set_nonblocking(child->m_stderr.get());
  spdlog::debug("started MCP server {} (pid {})", *program, child->m_pid);
  return child;
}

void ChildProcess::drain_stderr() noexcept {
  std::array<char, 4096> chunk{};
  while (m_stderr.valid()) {
    const ssize_t n = ::read(m_stderr.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more for now
    if (n == 0) {
      m_stderr.reset();
      return;
    }
    m_stderr_tail.append(chunk.data(), static_cast<std::size_t>(n));
    if (m_stderr_tail.size() > k_stderr_keep) m_stderr_tail.erase(0, m_stderr_tail.size() - k_stderr_keep);
  }
}

void ChildProcess::drain_output() noexcept {
  drain_stderr();
  std::array<char, 4096> chunk{};
  while (m_stdout.valid()) {
    const ssize_t n = ::read(m_stdout.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // EAGAIN: nothing more for now
    if (n == 0) m_stdout.reset();
  }
  secure_zero(chunk.data(), chunk.size());
}

Status ChildProcess::write_all(std::string_view bytes, Deadline deadline) {
  if (!m_stdin.valid()) return fail(ErrorCode::unavailable, "its stdin is closed");
  SigpipeBlock block;
  while (!bytes.empty()) {
    const ssize_t n = ::write(m_stdin.get(), bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return fail(ErrorCode::unavailable, "it closed its stdin");
    if (n < 0 && errno != EAGAIN) {
      return fail(ErrorCode::unavailable, fmt::format("writing to its stdin: {}", detail::errno_text(errno)));
    }
    std::array<pollfd, 2> fds{pollfd{m_stdin.get(), POLLOUT, 0}, pollfd{m_stderr.get(), POLLIN, 0}};
    const int ready = ::poll(fds.data(), m_stderr.valid() ? 2 : 1, detail::remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return fail(ErrorCode::timeout, "it did not read its stdin");
    if (fds[1].revents != 0) drain_stderr();
  }
  return {};
}

ChildProcess::ReadOutcome ChildProcess::read_stdout(detail::WipedString& out, Deadline deadline) {
  if (!m_stdout.valid()) return ReadOutcome::eof;
  std::vector<char, detail::WipingAllocator<char>> chunk(k_chunk);
  for (;;) {
    const ssize_t n = ::read(m_stdout.get(), chunk.data(), chunk.size());
    if (n > 0) {
      out.append(chunk.data(), static_cast<std::size_t>(n));
      drain_stderr();
      return ReadOutcome::data;
    }
    if (n == 0) {
      m_stdout.reset();
      drain_stderr();
      return ReadOutcome::eof;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      m_stdout.reset();
      return ReadOutcome::eof;
    }
    std::array<pollfd, 2> fds{pollfd{m_stdout.get(), POLLIN, 0}, pollfd{m_stderr.get(), POLLIN, 0}};
    const int ready = ::poll(fds.data(), m_stderr.valid() ? 2 : 1, detail::remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      drain_stderr();
      return ReadOutcome::timeout;
    }
    if (fds[1].revents != 0) drain_stderr();
  }
}

bool ChildProcess::reap(std::chrono::milliseconds wait) noexcept {
  if (m_reaped || m_pid <= 0) return true;
  const auto deadline = SteadyClock::now() + wait;
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t done = ::waitpid(m_pid, &m_status, WNOHANG);
    if (done == m_pid || (done < 0 && errno == ECHILD)) {
      m_reaped = true;
      return true;
    }
    if (done < 0 && errno == EINTR) continue;
    if (SteadyClock::now() >= deadline) return false;
    drain_output();  // a child blocked on a full pipe could not exit
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(20));
  }
}

void ChildProcess::stop(std::chrono::milliseconds grace) noexcept {
  if (m_pid <= 0) return;
  m_stdin.reset();  // end of input: a well-behaved server exits now
  if (!reap(grace)) {
    spdlog::debug("MCP server (pid {}) still running {} ms after its stdin closed: SIGTERM", m_pid, grace.count());
    ::kill(-m_pid, SIGTERM);
    if (!reap(grace)) {
      spdlog::debug("MCP server (pid {}) ignored SIGTERM: SIGKILL", m_pid);
      ::kill(-m_pid, SIGKILL);
      while (::waitpid(m_pid, &m_status, 0) < 0 && errno == EINTR) {
      }
      m_reaped = true;
    }
  }
  // Whatever it started and left behind in its group (a vault CLI call) goes with it.
  ::kill(-m_pid, SIGKILL);
  m_stdout.reset();
  m_stderr.reset();
  m_pid = -1;
}

std::string ChildProcess::exit_description(std::chrono::milliseconds wait) {
  if (!reap(wait)) return "is still running";
  if (WIFEXITED(m_status)) return fmt::format("exited with status {}", WEXITSTATUS(m_status));
  if (WIFSIGNALED(m_status)) {
    const int sig = WTERMSIG(m_status);
    const char* text = ::strsignal(sig);
    return fmt::format("was killed by signal {} ({})", sig, text != nullptr ? text : "unknown");
  }
  return "ended";
}

std::string ChildProcess::last_stderr_line() {
  drain_stderr();
  std::string_view tail = m_stderr_tail;
  while (!tail.empty()) {
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.remove_suffix(1);
    const auto start = tail.rfind('\n');
    const std::string_view line = start == std::string_view::npos ? tail : tail.substr(start + 1);
    if (!line.empty()) return redact_for_message(line);
    tail = tail.substr(0, start == std::string_view::npos ? 0 : start);
  }
  return {};
}

}  // namespace keyd::adapters::mcp
