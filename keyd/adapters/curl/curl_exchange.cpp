#include "curl_exchange.hpp"

#include <openssl/ssl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace keyd::adapters::detail {

namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

bool is_field_value(std::string_view text) { return text.find_first_of(std::string_view("\r\n\0", 3)) == text.npos; }

ErrorCode code_for(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorCode::timeout;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return ErrorCode::invalid_input;
    case CURLE_SSL_CERTPROBLEM:  // the configured client certificate or key, or the CA file, is unusable
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
      return ErrorCode::invalid_config;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FAILED_INIT:
      return ErrorCode::internal;
    default:  // DNS, connect, TLS handshake and verification, reset, empty or partial reply
      return ErrorCode::unavailable;
  }
}

}  // namespace

bool is_token(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return c > ' ' && c < '\x7f' && std::strchr("\"(),/:;<=>?@[\\]{}", c) == nullptr;
  });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  quick_ack(exchange.socket);  // a body written in pieces by a Nagle server: the next piece waits for this ACK
  if (n > k_max_response_body - exchange.body_size) {
    exchange.failure = {ErrorCode::unavailable, "response body exceeds the 64 MiB limit"};
    return 0;
  }
  try {
    // Grow geometrically; Secret::resize wipes the buffer it leaves.
    auto& body = exchange.response.body;
    const std::size_t needed = exchange.body_size + n;
    if (needed > body.size()) body.resize(std::max(needed, std::min(2 * body.size(), k_max_response_body)));
    std::memcpy(body.mutable_bytes().data() + exchange.body_size, data, n);
    exchange.body_size = needed;
    return n;
  } catch (...) {
    exchange.failure = {ErrorCode::internal, "out of memory for the response body"};
    return 0;
  }
}

void quick_ack(curl_socket_t socket) noexcept {
  if (socket == CURL_SOCKET_BAD) return;
  const int yes = 1;
  (void)::setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, &yes, sizeof(yes));  // best effort: a hint to the kernel
}

int on_socket(void* user, curl_socket_t socket, curlsocktype /*purpose*/) noexcept {
  static_cast<Exchange*>(user)->socket = socket;
  return CURL_SOCKOPT_OK;
}

namespace {

// `arg` is the connection's socket itself (not a pointer): nothing to outlive. SSL_get_fd cannot
// tell it, since libcurl reads through a BIO of its own.
void on_tls_message(int write_p, int /*version*/, int /*content_type*/, const void* /*buf*/, std::size_t /*len*/,
                    SSL* /*ssl*/, void* arg) {
  if (write_p != 0) return;  // only what was received
  quick_ack(static_cast<curl_socket_t>(reinterpret_cast<std::intptr_t>(arg)));
}

}  // namespace

CURLcode on_ssl_ctx(CURL* /*handle*/, void* ssl_ctx, void* user) noexcept {
  // libcurl makes an SSL_CTX for each new connection, after connecting it: on_socket has just
  // recorded that connection's socket in the exchange.
  const curl_socket_t socket = static_cast<Exchange*>(user)->socket;
  if (socket == CURL_SOCKET_BAD) return CURLE_OK;
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_msg_callback_arg(ctx, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket)));
  SSL_CTX_set_msg_callback(ctx, &on_tls_message);
  return CURLE_OK;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  const std::string_view line = trim({data, n});
  try {
    if (line.empty()) {
      quick_ack(exchange.socket);  // the headers are in; a Nagle server holds the body until they are acknowledged
    } else if (line.starts_with("HTTP/")) {
      exchange.response.headers.clear();  // the status line of a new response (after a 1xx)
    } else if (const auto colon = line.find(':'); colon != line.npos && colon > 0) {
      std::string name(trim(line.substr(0, colon)));
      std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      exchange.response.headers.push_back({std::move(name), std::string(trim(line.substr(colon + 1))), false});
    }
    return n;
  } catch (...) {
    exchange.failure = {ErrorCode::internal, "out of memory for the response headers"};
    return 0;
  }
}

// The caller's headers, plus the removal of headers curl would add on its own: "Expect:
// 100-continue" (an extra round trip, and a stall on servers that ignore it) and a form
// Content-Type for bodies. A header line "Name:" tells curl to send no such header.
Result<CurlList> header_list(const ports::HttpRequest& request, const RequestTarget& target, std::string_view shown) {
  CurlList list;
  bool has_expect = false;
  bool has_content_type = false;
  bool has_host = false;
  for (const auto& header : request.headers) {
    if (!is_token(header.name) || !is_field_value(header.value)) {
      return fail(ErrorCode::invalid_input,
                  fmt::format("{}: request header {:?} has an invalid name or value", shown, header.name));
    }
    std::string line;
    line.reserve(header.name.size() + header.value.size() + 2);
    line.append(header.name).append(header.value.empty() ? ";" : ": ").append(header.value);
    list.append(line);  // wipes `line`
    has_expect = has_expect || equals_ignoring_case(header.name, "expect");
    has_content_type = has_content_type || equals_ignoring_case(header.name, "content-type");
    has_host = has_host || equals_ignoring_case(header.name, "host");
  }
  const auto add = [&list](std::string line) { list.append(line); };
  if (!has_expect) add("Expect:");
  if (!has_content_type) add("Content-Type:");
  if (!has_host && !target.host_header.empty()) add(target.host_header);
  return list;
}

// "<METHOD> <url>: <what curl says> (curl code N)". curl's error buffer names the TLS problem
// (e.g. "unable to get local issuer certificate"); it never contains headers or bodies.
Error transfer_error(CURLcode rc, std::string_view shown, const Transfer& transfer) {
  const auto& failure = transfer.exchange.failure;
  std::string detail(trim(transfer.error_text.data()));
  if (failure.text != nullptr) detail = failure.text;
  if (detail.empty()) detail = curl_easy_strerror(rc);
  if (rc == CURLE_PEER_FAILED_VERIFICATION) detail = "server certificate not trusted: " + detail;
  if (rc == CURLE_SSL_CONNECT_ERROR) detail = "TLS handshake failed: " + detail;
  const ErrorCode code = failure.text != nullptr ? failure.code : code_for(rc);
  return Error{code, fmt::format("{}: {} (curl code {})", shown, detail, static_cast<int>(rc))};
}

}  // namespace keyd::adapters::detail
