// One curl exchange: the state its callbacks fill in, the request header list, and the mapping of a
// failed transfer to an Error. Used by the curl transport (curl_transport.cpp).
#pragma once

#include "curl_handle.hpp"
#include "curl_url.hpp"
#include "keyd/ports/http.hpp"

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace keyd::adapters::detail {

inline constexpr std::size_t k_max_response_body = std::size_t{64} << 20;

struct CallbackFailure {
  ErrorCode code = ErrorCode::internal;
  const char* text = nullptr;  // set when a callback aborted the transfer
};

// What the curl callbacks fill in during one exchange.
struct Exchange {
  // The transfer's socket, for quick_ack: the reused connection's (CurlHandle::last_socket), or
  // the new one's (on_socket). CURL_SOCKET_BAD: unknown, no quick ACKs.
  curl_socket_t socket = CURL_SOCKET_BAD;
  ports::HttpResponse response;
  std::size_t body_size = 0;  // bytes of response.body in use; the rest is spare capacity
  CallbackFailure failure;
};

// Everything curl points to during a transfer; it must outlive curl_easy_perform.
struct Transfer {
  RequestTarget target;
  CurlList headers;
  CurlList connect_to;
  Exchange exchange;
  std::array<char, CURL_ERROR_SIZE> error_text{};
};

// An RFC 9110 token, as methods and header names must be.
[[nodiscard]] bool is_token(std::string_view text);

// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION, with an Exchange as `user`. The body grows in
// a Secret, at most k_max_response_body; header names are lower-cased; a new status line (after a
// 1xx) starts the header list again.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept;
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept;

// Ask the kernel to acknowledge what the transfer's connection has received now (TCP_QUICKACK),
// instead of delaying the ACK by up to 40 ms. A server with Nagle's algorithm on (Python's
// http.server, some proxies) that writes the headers and the body separately sends the body only
// once the headers are acknowledged, and Linux delays ACKs on a reused request/response
// connection: every answer would wait for the delayed-ACK timer. Linux clears the flag again by
// itself, so on_header (at the end of the headers) and on_body call this after each read.
// (CURLINFO_ACTIVESOCKET is no help: libcurl fills it in only when a transfer is done.)
void quick_ack(curl_socket_t socket) noexcept;

// CURLOPT_SOCKOPTFUNCTION with an Exchange as `user`: records a new connection's socket.
int on_socket(void* user, curl_socket_t socket, curlsocktype purpose) noexcept;

// CURLOPT_SSL_CTX_FUNCTION: quick ACKs for every TLS record received (an OpenSSL message callback).
// Over TLS 1.3 a server sends its session tickets after the handshake in small writes of their
// own: with Nagle's algorithm on, the second waits for the ACK of the first, and the response
// waits behind it, so even the first request on a new connection stalled for the delayed ACK.
// `user` is the Exchange whose on_socket recorded the new connection's socket; the callback keeps
// the socket number itself, never a pointer into the transfer: a connection (and its SSL_CTX)
// outlives the transfer that opened it.
CURLcode on_ssl_ctx(CURL* handle, void* ssl_ctx, void* user) noexcept;

// The request's headers as a curl list (see the .cpp for what is added). invalid_input, naming the
// header but not its value, for a malformed one. `shown` is "<METHOD> <display url>".
[[nodiscard]] Result<CurlList> header_list(const ports::HttpRequest& request, const RequestTarget& target,
                                           std::string_view shown);

// "<shown>: <what curl says> (curl code N)": timeout for CURLE_OPERATION_TIMEDOUT, unavailable for
// DNS, connect, TLS, reset and partial replies; TLS verification failures say the server
// certificate was not trusted.
[[nodiscard]] Error transfer_error(CURLcode rc, std::string_view shown, const Transfer& transfer);

}  // namespace keyd::adapters::detail
