#include "curl_url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <new>
#include <optional>

#include <fmt/format.h>

namespace keyd::adapters::detail {

namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const noexcept { curl_free(text); }
};

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned int flags) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK) return std::nullopt;
  const std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

}  // namespace

std::string display_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority = scheme_end + 3;
  const auto authority_end = std::min(url.find('/', authority), url.size());
  const auto at = url.substr(authority, authority_end - authority).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return fmt::format("{}{}", url.substr(0, authority), url.substr(authority + at + 1));
}

Result<RequestTarget> request_target(const std::string& url, const std::string& server_name) {
  if (server_name.empty()) return RequestTarget{url, {}, {}};
  const std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) throw std::bad_alloc();
  const auto invalid = [&url] {
    return fail(ErrorCode::invalid_input, fmt::format("{}: not a valid URL", display_url(url)));
  };
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return invalid();
  const auto scheme = url_part(parsed.get(), CURLUPART_SCHEME, 0);
  const auto host = url_part(parsed.get(), CURLUPART_HOST, 0);
  const auto port = url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return invalid();
  if (*scheme != "https" || *host == server_name) return RequestTarget{url, {}, {}};

  const auto explicit_port = url_part(parsed.get(), CURLUPART_PORT, 0);
  if (curl_url_set(parsed.get(), CURLUPART_HOST, server_name.c_str(), 0) != CURLUE_OK) {
    return fail(ErrorCode::invalid_input, fmt::format("TLS server name {:?} is not a valid host name", server_name));
  }
  auto rewritten = url_part(parsed.get(), CURLUPART_URL, 0);
  if (!rewritten) return invalid();
  return RequestTarget{
      .url = std::move(*rewritten),
      .connect_to = fmt::format("{}:{}:{}:{}", server_name, *port, *host, *port),
      .host_header = fmt::format("Host: {}{}", *host, explicit_port ? ":" + *explicit_port : ""),
  };
}

}  // namespace keyd::adapters::detail
