// run_git: the git CLI as a child process (detail::spawn_in_new_group, no shell) in its own process group, stdout
// streamed to the caller, stderr kept for the error message, the whole group killed at the deadline.
#include "../os/errno_text.hpp"
#include "../os/process_spawn.hpp"
#include "scan_git_internal.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

extern char** environ;

namespace keyd::adapters::detail {

namespace {

constexpr std::size_t k_max_stderr = 4096;

// keyd's own PATH, where posix_spawnp would have looked.
std::optional<std::string_view> path_variable() {
  const char* path = std::getenv("PATH");
  return path != nullptr ? std::optional<std::string_view>(path) : std::nullopt;
}

std::string first_line(std::string_view text) {
  const auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

}  // namespace

Status run_git(const std::filesystem::path& dir, const std::vector<std::string>& args,
               std::chrono::milliseconds timeout, const OutputSink& on_output) {
  std::size_t command = 0;  // the git command, after any "-c name=value" options
  while (command + 1 < args.size() && args[command] == "-c") command += 2;
  const std::string what =
      fmt::format("git {} in {}", command < args.size() ? args[command] : std::string(), dir.string());
  std::vector<std::string> argv{"git", "--no-pager", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> argvp;
  for (auto& a : argv) argvp.push_back(a.data());
  argvp.push_back(nullptr);

  KEYD_ASSIGN_OR_RETURN(detail::Pipe out, detail::make_pipe(what));
  KEYD_ASSIGN_OR_RETURN(detail::Pipe err, detail::make_pipe(what));
  pid_t pid = -1;
  const auto program = detail::find_program("git", path_variable());
  const int rc = program ? detail::spawn_in_new_group(pid, *program, argvp.data(), environ,
                                                      {{0, -1}, {1, out.write.get()}, {2, err.write.get()}})
                         : ENOENT;
  out.write.reset();
  err.write.reset();
  if (rc != 0) return fail(ErrorCode::io, fmt::format("{}: cannot start git: {}", what, detail::errno_text(rc)));

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string stderr_text;
  std::array<char, 65536> chunk{};
  // Zeroed on every way out (a timeout included): the output may be key material.
  const auto zero_chunk = detail::on_scope_exit([&chunk] { secure_zero(chunk.data(), chunk.size()); });
  std::array<pollfd, 2> fds{pollfd{out.read.get(), POLLIN, 0}, pollfd{err.read.get(), POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const int ready = ::poll(fds.data(), fds.size(), detail::remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return fail(detail::kill_at_deadline(pid, what, timeout));
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, chunk.data(), chunk.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      const std::string_view data(chunk.data(), static_cast<std::size_t>(n));
      if (i == 0) {
        on_output(data);
      } else if (stderr_text.size() < k_max_stderr) {
        stderr_text.append(data.substr(0, k_max_stderr - stderr_text.size()));
      }
    }
  }

  KEYD_ASSIGN_OR_RETURN(const int status, detail::wait_for_exit(pid, deadline, what, timeout));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  const std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                            : fmt::format("killed by signal {}", WTERMSIG(status));
  const std::string reason = first_line(stderr_text);
  return fail(ErrorCode::io, fmt::format("{} failed ({}){}{}", what, how, reason.empty() ? "" : ": ", reason));
}

}  // namespace keyd::adapters::detail
