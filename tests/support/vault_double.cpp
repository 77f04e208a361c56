#include "support/vault_double.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace keyd::testing {

namespace {

using namespace std::chrono_literals;

constexpr const char* k_double_script = KEYD_SOURCE_DIR "/tests/doubles/vault_double.py";

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return m_fd; }

 private:
  int m_fd;
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

VaultDoubleReply plain_http(int port, std::string_view method, std::string_view target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms) {
  const std::string where = std::string(method) + " http://127.0.0.1:" + std::to_string(port) + std::string(target);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const auto remaining_ms = [&deadline] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
  };

  const Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) throw std::runtime_error(where + ": socket: " + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(where + ": connect: " + std::strerror(errno));
  }

  std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(port) + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(where + ": send: " + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string response;
  std::array<char, 8192> buf{};
  for (;;) {
    pollfd pfd{sock.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, remaining_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) throw std::runtime_error(where + ": no complete answer within " + std::to_string(timeout_ms) + " ms");
    const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(where + ": recv: " + std::strerror(errno));
    }
    if (n == 0) break;
    response.append(buf.data(), static_cast<std::size_t>(n));
  }

  const auto head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) {
    throw std::runtime_error(where + ": not an HTTP answer (" + std::to_string(response.size()) + " bytes)");
  }
  VaultDoubleReply reply;
  reply.status = std::stoi(response.substr(response.find(' ') + 1, 3));
  std::string head = lower(response.substr(0, head_end));
  reply.raw_body = response.substr(head_end + 4);
  if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos) {
    const auto length = static_cast<std::size_t>(std::stoul(head.substr(at + 17)));
    if (reply.raw_body.size() > length) reply.raw_body.resize(length);
  }
  reply.body = nlohmann::json::parse(reply.raw_body, nullptr, /*allow_exceptions=*/false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

VaultDouble::VaultDouble(VaultDoubleOptions options) : m_options(std::move(options)) {
  std::vector<std::string> args;
  if (!m_options.tls_cert_file.empty()) {
    args.insert(args.end(), {"--tls-cert", m_options.tls_cert_file, "--tls-key",
                             m_options.tls_key_file.empty() ? m_options.tls_cert_file : m_options.tls_key_file});
    if (!m_options.client_ca_file.empty()) args.insert(args.end(), {"--client-ca", m_options.client_ca_file});
  }
  if (!m_options.config.is_null()) {
    const auto config_file = m_dir / "config.json";
    write_file(config_file, m_options.config.dump());
    args.insert(args.end(), {"--config", config_file.string()});
  }
  if (!m_options.root_token.empty()) args.insert(args.end(), {"--root-token", m_options.root_token});
  if (m_options.nagle) args.emplace_back("--nagle");
  m_root_token = m_process.start(k_double_script, "root-token", "root", args);
}

std::string VaultDouble::address() const {
  return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

nlohmann::json VaultDouble::control(std::string_view method, std::string_view path, const nlohmann::json& body) {
  const std::string target = "/_double/" + std::string(path);
  const VaultDoubleReply reply =
      plain_http(control_port(), method, target, body.is_null() ? std::string() : body.dump(), {});
  if (reply.status >= 300) {
    throw std::runtime_error("vault double: control " + std::string(method) + " " + target + " answered " +
                             std::to_string(reply.status) + ": " + reply.raw_body);
  }
  return reply.body;
}

nlohmann::json VaultDouble::requests() {
  nlohmann::json log = control("GET", "requests");
  return log.value("requests", nlohmann::json::array());
}

VaultDoubleReply VaultDouble::api(std::string_view method, std::string_view path, const nlohmann::json& body,
                                  std::string_view token) {
  if (tls()) throw std::logic_error("VaultDouble::api works with plain-HTTP doubles only");
  std::vector<std::pair<std::string, std::string>> headers{
      {"X-Vault-Token", token.empty() ? m_root_token : std::string(token)}, {"X-Vault-Request", "true"}};
  return plain_http(port(), method, "/v1/" + std::string(path), body.is_null() ? std::string() : body.dump(),
                    headers);
}

}  // namespace keyd::testing
