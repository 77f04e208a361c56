// DoubleProcess: one test double (a Python script under tests/doubles/) run as a child process for
// a fixture such as KubeDouble or VaultDouble.
//
// start() runs /usr/bin/python3 <script> --host 127.0.0.1 --port 0 --port-file <dir>/port
// --control-port-file <dir>/control-port [--token-file <dir>/<token file>] --quiet --exit-with-parent
// <extra args> in `dir`, stdin from /dev/null and stdout/stderr to <dir>/double.log, then waits up to
// 10 s for both port files. stop() (also run by the destructor) sends SIGTERM, waits up to 5 s, then
// SIGKILLs, and reaps the process. Failures throw std::runtime_error starting with `name` and carrying
// the double's log. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace keyd::testing {

class DoubleProcess {
 public:
  // `name` prefixes every error ("kube double"); `dir` must outlive this object.
  DoubleProcess(std::string name, std::filesystem::path dir);
  ~DoubleProcess() { stop(); }
  DoubleProcess(const DoubleProcess&) = delete;
  DoubleProcess& operator=(const DoubleProcess&) = delete;

  // Starts the double and waits for its ports. Returns the token the double wrote to
  // <dir>/<token_file> (throws "empty <token_kind> token file" when it is empty); an empty
  // token_file passes no --token-file and returns "" (a double without a token, e.g. the fault proxy).
  std::string start(const std::string& script, const std::string& token_file, const std::string& token_kind,
                    const std::vector<std::string>& extra_args);
  void stop() noexcept;

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] int control_port() const { return m_control_port; }
  // The double's stdout/stderr so far ("" before it started).
  [[nodiscard]] std::string log_text() const;
  // "<name>: <what>; its log:\n<log>".
  [[nodiscard]] std::string describe_failure(const std::string& what) const;

 private:
  std::string m_name;
  std::filesystem::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
  int m_control_port = 0;
};

}  // namespace keyd::testing
