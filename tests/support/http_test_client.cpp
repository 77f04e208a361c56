#include "support/http_test_client.hpp"

#include "keyd/common/digest.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace keyd::testing {

std::string sha256_hex(std::string_view text) { return keyd::sha256_hex(text); }

void write_tokens_file(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, std::string>>& tokens) {
  std::ofstream out(path);
  for (const auto& [token, caller] : tokens) out << sha256_hex(token) << ' ' << caller << '\n';
  out.close();
  ::chmod(path.c_str(), 0600);
}

std::string raw_exchange(int port, const std::string& bytes, bool half_close) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server may hang up before reading everything
      sent += static_cast<std::size_t>(n);
    }
    if (half_close) ::shutdown(fd, SHUT_WR);
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

int status_of(const std::string& raw) {
  return raw.starts_with("HTTP/1.1 ") && raw.size() >= 12 ? std::stoi(raw.substr(9, 3)) : -1;
}

HeldPort::HeldPort() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(m_fd, 1) != 0 ||
      ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (m_fd >= 0) ::close(m_fd);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  m_port = ntohs(addr.sin_port);
}

HeldPort::~HeldPort() { ::close(m_fd); }

}  // namespace keyd::testing
