// Running an exec credential plugin: posix_spawn (no shell) in its own process group, stdin from
// /dev/null, stdout captured into a Secret, a deadline after which the whole group is killed.
#include "kube_internal.hpp"

#include "../errno_text.hpp"
#include "../process_spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace keyd::adapters::kube {

namespace {

using detail::WipedStrings;
using Fd = detail::UniqueFd;

constexpr std::size_t k_max_output = std::size_t{1} << 20;
using SteadyClock = std::chrono::steady_clock;

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);  // the plugin and whatever it started
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

int remaining_ms(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

}  // namespace

Result<PluginRun> run_plugin(const std::vector<std::string>& argv, const Environment& env,
                             std::chrono::milliseconds timeout) {
  PluginRun run;
  const std::string& name = argv.at(0);
  const auto path = env.find("PATH");
  const auto program = detail::find_program(
      name, path != env.end() ? std::optional<std::string_view>(path->second) : std::nullopt);
  if (!program) {
    run.not_found = true;
    run.exit_code = 127;
    return run;
  }
  WipedStrings args;
  for (const auto& arg : argv) args.add(arg);
  WipedStrings environment;
  for (const auto& [key, value] : env) environment.add(fmt::format("{}={}", key, value));
  auto argvp = args.pointers();
  auto envp = environment.pointers();

  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::io, fmt::format("exec credential plugin {}: pipe: {}", name, detail::errno_text(errno)));
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  pid_t pid = -1;
  const int rc = detail::spawn_in_new_group(pid, *program, argvp.data(), envp.data(),
                                            {{0, -1}, {1, write_end.get()}});
  write_end.reset();
  if (rc == ENOENT) {
    run.not_found = true;
    run.exit_code = 127;
    return run;
  }
  if (rc != 0) {
    return fail(ErrorCode::unauthorized,
                fmt::format("exec credential plugin {}: cannot be started: {}", name, detail::errno_text(rc)));
  }

  const auto deadline = SteadyClock::now() + timeout;
  const auto timed_out = [&] {
    kill_group(pid);
    return fail(ErrorCode::timeout, fmt::format("exec credential plugin {}: no result within {} ms (killed)", name,
                                                timeout.count()));
  };
  std::array<char, 4096> chunk{};
  std::size_t used = 0;
  for (;;) {
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return timed_out();
    const ssize_t n = ::read(read_end.get(), chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of output (or a read error: judged by the exit status)
    const auto size = static_cast<std::size_t>(n);
    if (used + size > k_max_output) {
      kill_group(pid);
      secure_zero(chunk.data(), chunk.size());
      return fail(ErrorCode::unauthorized, fmt::format("exec credential plugin {}: output exceeds 1 MiB", name));
    }
    run.out.resize(used + size);
    std::memcpy(run.out.mutable_bytes().data() + used, chunk.data(), size);
    used += size;
  }
  secure_zero(chunk.data(), chunk.size());

  int status = 0;
  for (;;) {  // stdout is closed; wait for the exit, still within the deadline
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return fail(ErrorCode::internal, fmt::format("exec credential plugin {}: waitpid: {}", name,
                                                   detail::errno_text(errno)));
    }
    if (remaining_ms(deadline) == 0) return timed_out();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  return run;
}

}  // namespace keyd::adapters::kube
