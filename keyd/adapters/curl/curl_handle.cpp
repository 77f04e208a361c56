#include "curl_handle.hpp"

#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/common/secret.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <mutex>
#include <new>
#include <utility>

#include <fmt/format.h>

namespace keyd::adapters {

void keep_tls_library_until_exit() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

}  // namespace keyd::adapters

namespace keyd::adapters::detail {

Status ensure_curl_initialized() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) {
    return fail(ErrorCode::internal,
                fmt::format("curl_global_init: {} (curl code {})", curl_easy_strerror(rc), static_cast<int>(rc)));
  }
  return {};
}

void prepare_tls_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    SSL_CTX_free(SSL_CTX_new(TLS_client_method()));
    ERR_clear_error();  // a failure here is curl's to find and report, not a stale error for it to read
  });
}

Result<CurlHandle> CurlHandle::create() {
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return fail(ErrorCode::internal, "curl_easy_init failed");
  return CurlHandle(handle);
}

CurlHandle::~CurlHandle() {
  if (m_handle != nullptr) curl_easy_cleanup(m_handle);
}

CurlHandle::CurlHandle(CurlHandle&& other) noexcept
    : m_handle(std::exchange(other.m_handle, nullptr)),
      m_last_socket(std::exchange(other.m_last_socket, CURL_SOCKET_BAD)) {}

CurlHandle& CurlHandle::operator=(CurlHandle&& other) noexcept {
  if (this != &other) {
    if (m_handle != nullptr) curl_easy_cleanup(m_handle);
    m_handle = std::exchange(other.m_handle, nullptr);
    m_last_socket = std::exchange(other.m_last_socket, CURL_SOCKET_BAD);
  }
  return *this;
}

CurlList::~CurlList() { release(); }

CurlList::CurlList(CurlList&& other) noexcept : m_list(std::exchange(other.m_list, nullptr)) {}

CurlList& CurlList::operator=(CurlList&& other) noexcept {
  if (this != &other) {
    release();
    m_list = std::exchange(other.m_list, nullptr);
  }
  return *this;
}

void CurlList::append(std::string& line) {
  curl_slist* grown = curl_slist_append(m_list, line.c_str());
  secure_zero(line.data(), line.size());
  if (grown == nullptr) throw std::bad_alloc();
  m_list = grown;
}

void CurlList::release() noexcept {
  for (curl_slist* node = m_list; node != nullptr; node = node->next) {
    if (node->data != nullptr) secure_zero(node->data, std::strlen(node->data));
  }
  curl_slist_free_all(m_list);
  m_list = nullptr;
}

}  // namespace keyd::adapters::detail
