// Running an exec credential plugin: posix_spawn (no shell) in its own process group, stdin from
// /dev/null, stdout captured into a Secret, a deadline after which the whole group is killed.
#include "kube_internal.hpp"

#include "../os/errno_text.hpp"
#include "../os/process_spawn.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace keyd::adapters::kube {

namespace {

using detail::WipedStrings;

constexpr std::size_t k_max_output = std::size_t{1} << 20;

}  // namespace

Result<PluginRun> run_plugin(const std::vector<std::string>& argv, const Environment& env,
                             std::chrono::milliseconds timeout) {
  PluginRun run;
  const std::string& name = argv.at(0);
  const auto path = env.find("PATH");
  const auto program =
      detail::find_program(name, path != env.end() ? std::optional<std::string_view>(path->second) : std::nullopt);
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

  const std::string what = fmt::format("exec credential plugin {}", name);
  KEYD_ASSIGN_OR_RETURN(detail::Pipe output, detail::make_pipe(what));

  pid_t pid = -1;
  const int rc =
      detail::spawn_in_new_group(pid, *program, argvp.data(), envp.data(), {{0, -1}, {1, output.write.get()}});
  output.write.reset();
  if (rc == ENOENT) {
    run.not_found = true;
    run.exit_code = 127;
    return run;
  }
  if (rc != 0) {
    return fail(ErrorCode::unauthorized, fmt::format("{}: cannot be started: {}", what, detail::errno_text(rc)));
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> chunk{};
  // Zeroed on every way out (a timeout included): the output may be key material.
  const auto zero_chunk = detail::on_scope_exit([&chunk] { secure_zero(chunk.data(), chunk.size()); });
  std::size_t used = 0;
  for (;;) {
    pollfd p{output.read.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, detail::remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return fail(detail::kill_at_deadline(pid, what, timeout));
    const ssize_t n = ::read(output.read.get(), chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of output (or a read error: judged by the exit status)
    const auto size = static_cast<std::size_t>(n);
    if (used + size > k_max_output) {
      detail::kill_group(pid);
      return fail(ErrorCode::unauthorized, fmt::format("{}: output exceeds 1 MiB", what));
    }
    run.out.resize(used + size);
    std::memcpy(run.out.mutable_bytes().data() + used, chunk.data(), size);
    used += size;
  }

  // stdout is closed; wait for the exit, still within the deadline
  KEYD_ASSIGN_OR_RETURN(const int status, detail::wait_for_exit(pid, deadline, what, timeout));
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  return run;
}

}  // namespace keyd::adapters::kube
