// The bytes of one accepted connection, plain or TLS, without ever blocking: every call reports
// whether it moved bytes or must wait for the socket to become readable or writable (OpenSSL's
// WANT_READ / WANT_WRITE, driven by the server's epoll loop).
#pragma once

#include "keyd/common/result.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace keyd::adapters::http {

enum class IoStatus { ok, want_read, want_write, closed, error };

struct IoResult {
  IoStatus status = IoStatus::ok;
  std::size_t bytes = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // TLS: the handshake (ok once done); plain: ok at once.
  [[nodiscard]] virtual IoStatus handshake() = 0;
  [[nodiscard]] virtual IoResult read(std::span<char> into) = 0;
  [[nodiscard]] virtual IoResult write(std::span<const char> from) = 0;
};

// The server's certificate and key, loaded once; null for plain HTTP.
class TlsContext;
struct TlsContextDeleter {
  void operator()(TlsContext* context) const;
};
using TlsContextPtr = std::unique_ptr<TlsContext, TlsContextDeleter>;

// invalid_config naming both files when they cannot be loaded or do not match.
[[nodiscard]] Result<TlsContextPtr> load_tls_context(const std::string& cert_file, const std::string& key_file);

// The transport over a connected non-blocking socket (not owned: the caller closes it).
[[nodiscard]] std::unique_ptr<Transport> make_transport(int fd, TlsContext* tls);

}  // namespace keyd::adapters::http
