#include "transport.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sys/socket.h>

#include <cerrno>
#include <climits>

namespace keyd::adapters::http {

class TlsContext {
 public:
  explicit TlsContext(SSL_CTX* ctx) : m_ctx(ctx) {}
  ~TlsContext() { SSL_CTX_free(m_ctx); }
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  [[nodiscard]] SSL_CTX* get() const { return m_ctx; }

 private:
  SSL_CTX* m_ctx;
};

void TlsContextDeleter::operator()(TlsContext* context) const { delete context; }

namespace {

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : m_fd(fd) {}
  IoStatus handshake() override { return IoStatus::ok; }

  IoResult read(std::span<char> into) override {
    const auto n = ::recv(m_fd, into.data(), into.size(), 0);
    if (n > 0) return {IoStatus::ok, static_cast<std::size_t>(n)};
    if (n == 0) return {IoStatus::closed};
    return {errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? IoStatus::want_read : IoStatus::error};
  }

  IoResult write(std::span<const char> from) override {
    const auto n = ::send(m_fd, from.data(), from.size(), MSG_NOSIGNAL);
    if (n >= 0) return {IoStatus::ok, static_cast<std::size_t>(n)};
    return {errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? IoStatus::want_write : IoStatus::error};
  }

 private:
  int m_fd;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SSL_CTX* ctx) : m_ssl(SSL_new(ctx)) {
    if (m_ssl != nullptr) SSL_set_fd(m_ssl, fd);
  }
  ~TlsTransport() override { SSL_free(m_ssl); }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  IoStatus handshake() override {
    if (m_ssl == nullptr) return IoStatus::error;
    const int r = SSL_accept(m_ssl);
    return r == 1 ? IoStatus::ok : status(r);
  }

  IoResult read(std::span<char> into) override {
    const int r = SSL_read(m_ssl, into.data(), static_cast<int>(std::min<std::size_t>(into.size(), INT_MAX)));
    if (r > 0) return {IoStatus::ok, static_cast<std::size_t>(r)};
    return {status(r)};
  }

  IoResult write(std::span<const char> from) override {
    const int r = SSL_write(m_ssl, from.data(), static_cast<int>(std::min<std::size_t>(from.size(), INT_MAX)));
    if (r > 0) return {IoStatus::ok, static_cast<std::size_t>(r)};
    return {status(r)};
  }

 private:
  IoStatus status(int r) {
    const int error = SSL_get_error(m_ssl, r);
    ERR_clear_error();  // nothing of a client's failed handshake lingers in this thread's queue
    switch (error) {
      case SSL_ERROR_WANT_READ:
        return IoStatus::want_read;
      case SSL_ERROR_WANT_WRITE:
        return IoStatus::want_write;
      case SSL_ERROR_ZERO_RETURN:
        return IoStatus::closed;
      default:
        return IoStatus::error;
    }
  }

  SSL* m_ssl;
};

}  // namespace

Result<TlsContextPtr> load_tls_context(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  TlsContextPtr context(new TlsContext(ctx));
  const bool loaded = ctx != nullptr && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
                      SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) == 1 &&
                      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) == 1 &&
                      SSL_CTX_check_private_key(ctx) == 1;
  ERR_clear_error();
  if (!loaded) {
    return fail(ErrorCode::invalid_config,
                fmt::format("TLS certificate {} or key {}: cannot be loaded", cert_file, key_file));
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return context;
}

std::unique_ptr<Transport> make_transport(int fd, TlsContext* tls) {
  if (tls == nullptr) return std::make_unique<PlainTransport>(fd);
  return std::make_unique<TlsTransport>(fd, tls->get());
}

}  // namespace keyd::adapters::http
