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

// The request's headers as a curl list (see the .cpp for what is added). invalid_input, naming the
// header but not its value, for a malformed one. `shown` is "<METHOD> <display url>".
[[nodiscard]] Result<CurlList> header_list(const ports::HttpRequest& request, const RequestTarget& target,
                                           std::string_view shown);

// "<shown>: <what curl says> (curl code N)": timeout for CURLE_OPERATION_TIMEDOUT, unavailable for
// DNS, connect, TLS, reset and partial replies; TLS verification failures say the server
// certificate was not trusted.
[[nodiscard]] Error transfer_error(CURLcode rc, std::string_view shown, const Transfer& transfer);

}  // namespace keyd::adapters::detail
