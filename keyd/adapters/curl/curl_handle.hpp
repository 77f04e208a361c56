// Move-only RAII holders for libcurl objects (after cpr): the easy handle and a header list whose
// strings are wiped before they are freed, since request headers carry tokens.
#pragma once

#include "keyd/common/result.hpp"

#include <curl/curl.h>

#include <string>

namespace keyd::adapters::detail {

// curl_global_init, exactly once per process and thread-safely (it is not itself thread-safe).
// Never undone: curl_global_cleanup at exit would race with transports still in use.
[[nodiscard]] Status ensure_curl_initialized();

// Before a process's first HTTPS transfer, on whichever thread gets there first while the others
// wait: OpenSSL 3.0's first TLS context fetches every cipher, digest and group from its providers
// (about 2 ms), later ones reuse them (0.2 ms). Two first contexts made at once (a rotation's
// Vault request and its kubernetes preflight) contended for OpenSSL's locks: about 1.3 ms and 2 ms
// of CPU more per rotation. Plain-HTTP processes never pay for it.
void prepare_tls_once();

class CurlHandle {
 public:
  static Result<CurlHandle> create();  // requires ensure_curl_initialized()
  ~CurlHandle();
  CurlHandle(CurlHandle&& other) noexcept;
  CurlHandle& operator=(CurlHandle&& other) noexcept;
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;

  [[nodiscard]] CURL* get() const noexcept { return m_handle; }

  // The socket of the connection this handle's last transfer left open (CURL_SOCKET_BAD: none):
  // the one its next transfer to the same server reuses (see quick_ack in curl_exchange.hpp).
  [[nodiscard]] curl_socket_t last_socket() const noexcept { return m_last_socket; }
  void set_last_socket(curl_socket_t socket) noexcept { m_last_socket = socket; }

 private:
  explicit CurlHandle(CURL* handle) noexcept : m_handle(handle) {}
  CURL* m_handle = nullptr;
  curl_socket_t m_last_socket = CURL_SOCKET_BAD;
};

class CurlList {
 public:
  CurlList() = default;
  ~CurlList();
  CurlList(CurlList&& other) noexcept;
  CurlList& operator=(CurlList&& other) noexcept;
  CurlList(const CurlList&) = delete;
  CurlList& operator=(const CurlList&) = delete;

  // Appends a copy of `line`, then wipes `line`. Throws std::bad_alloc when curl cannot allocate.
  void append(std::string& line);
  [[nodiscard]] curl_slist* get() const noexcept { return m_list; }
  [[nodiscard]] bool empty() const noexcept { return m_list == nullptr; }

 private:
  void release() noexcept;
  curl_slist* m_list = nullptr;
};

}  // namespace keyd::adapters::detail
