// Helpers for tests that talk to keyd's HTTP API over a real socket: exact request bytes (no client
// normalises them), the status of a raw answer, and the tokens file the daemon authenticates with.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::testing {

// Lower-case hex SHA-256, as a tokens file stores a token.
[[nodiscard]] std::string sha256_hex(std::string_view text);

// A tokens file ("<sha256 hex> <caller>" per line) with mode 0600, for {token, caller} pairs.
void write_tokens_file(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, std::string>>& tokens);

// Send `bytes` to 127.0.0.1:port (as much as the server reads before it hangs up), then, with
// `half_close`, shut the sending side; return everything answered until the server closes (or 3 s
// of silence). Empty when the connection failed.
[[nodiscard]] std::string raw_exchange(int port, const std::string& bytes, bool half_close = false);

// The status code of a raw HTTP/1.1 answer, -1 when it is not one.
[[nodiscard]] int status_of(const std::string& raw);

// A socket listening on 127.0.0.1 at a port the kernel chose (a port another process holds);
// closed when destroyed.
class HeldPort {
 public:
  HeldPort();
  ~HeldPort();
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  [[nodiscard]] int port() const { return m_port; }

 private:
  int m_fd;
  int m_port = 0;
};

}  // namespace keyd::testing
