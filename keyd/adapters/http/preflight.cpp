#include "keyd/adapters/http/http_preflight.hpp"

#include "../os/errno_text.hpp"
#include "transport.hpp"

#include <fmt/format.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace keyd::adapters {

Status check_tls_files(const std::string& cert_file, const std::string& key_file) {
  // Loaded as the server loads them (http::load_tls_context), and dropped.
  KEYD_TRY(http::load_tls_context(cert_file, key_file));
  return {};
}

Status check_can_listen(const std::string& host, int port) {
  const std::string address = fmt::format("{}:{}", host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return fail(ErrorCode::unavailable, fmt::format("listen on {}: {}", address, ::gai_strerror(rc)));
  }
  int err = 0;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int sock = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (sock < 0) {
      err = errno;
      continue;
    }
    int yes = 1;  // as the server sets it (no SO_REUSEPORT)
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    const bool bound = ::bind(sock, a->ai_addr, a->ai_addrlen) == 0 && ::listen(sock, 1) == 0;
    err = bound ? 0 : errno;
    ::close(sock);
    if (bound) break;
  }
  ::freeaddrinfo(found);
  if (err != 0) {
    return fail(ErrorCode::unavailable, fmt::format("listen on {}: cannot bind: {}", address, detail::errno_text(err)));
  }
  return {};
}

}  // namespace keyd::adapters
