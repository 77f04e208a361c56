// The MCP server as a child process: its own process group, stdin and stdout as pipes, stderr
// drained into a bounded tail whenever keyd waits on the child (so a flooding server never blocks
// on it), every wait bounded by a deadline, and a shutdown that always reaps the process.
#pragma once

#include "../os/process_spawn.hpp"
#include "../os/wiping_allocator.hpp"
#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::mcp {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

struct ChildCommand {
  std::vector<std::string> argv;                    // argv[0] is looked up in the child's PATH
  std::vector<std::pair<std::string, Secret>> env;  // the child's whole environment
};

// What RpcClient (json_rpc.hpp) talks through: the server's stdin and stdout. ChildProcess in keyd;
// an in-memory stream in the fuzz target (tests/fuzz/mcp_framing_fuzz.cpp).
class RpcChannel {
 public:
  virtual ~RpcChannel() = default;
  [[nodiscard]] virtual Status write_all(std::string_view bytes, Deadline deadline) = 0;
  enum class ReadOutcome { data, eof, timeout };
  [[nodiscard]] virtual ReadOutcome read_stdout(detail::WipedString& out, Deadline deadline) = 0;
  [[nodiscard]] virtual std::string exit_description(std::chrono::milliseconds wait) = 0;
  [[nodiscard]] virtual std::string last_stderr_line() = 0;
};

class ChildProcess final : public RpcChannel {
 public:
  // Starts the command. unavailable naming argv[0] when it cannot be found or started.
  [[nodiscard]] static Result<std::unique_ptr<ChildProcess>> start(const ChildCommand& command);
  ~ChildProcess() override { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes all of `bytes` to the child's stdin. SIGPIPE is blocked meanwhile; a closed pipe is an
  // unavailable error, a full pipe until the deadline a timeout error.
  [[nodiscard]] Status write_all(std::string_view bytes, Deadline deadline) override;

  // Appends what the child wrote to stdout (at least one byte) to `out`, waiting until the deadline.
  [[nodiscard]] ReadOutcome read_stdout(detail::WipedString& out, Deadline deadline) override;

  // Closes stdin, waits up to `grace` for the exit, then SIGTERMs the process group, waits up to
  // `grace` again, then SIGKILLs it, and reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2'000)) noexcept;

  // "exited with status 3", "was killed by signal 9 (Killed)", or "is still running", after
  // waiting up to `wait` for the exit.
  [[nodiscard]] std::string exit_description(std::chrono::milliseconds wait) override;

  // The last non-empty stderr line seen so far, redacted; empty when there is none.
  [[nodiscard]] std::string last_stderr_line() override;
  [[nodiscard]] pid_t pid() const noexcept { return m_pid; }

 private:
  ChildProcess() = default;
  void drain_stderr() noexcept;
  void drain_output() noexcept;                        // stderr into the tail, stdout discarded (only while stopping)
  bool reap(std::chrono::milliseconds wait) noexcept;  // true when the process has been reaped

  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_status = 0;
  detail::UniqueFd m_stdin;
  detail::UniqueFd m_stdout;
  detail::UniqueFd m_stderr;
  std::string m_stderr_tail;  // the last k_stderr_keep bytes
};

}  // namespace keyd::adapters::mcp
