#include "kube_status.hpp"

#include "kube_json.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <algorithm>

namespace keyd::adapters::kube {

namespace {

constexpr std::size_t k_max_error_text = 400;

std::string clip(std::string text) {
  if (text.size() > k_max_error_text) text = text.substr(0, k_max_error_text) + "…";
  return text;
}

}  // namespace

detail::WipedString base64_encode(std::span<const std::uint8_t> bytes) {
  detail::WipedString out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

Result<Secret> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return fail(ErrorCode::invalid_input, "not base64 (length)");
  Secret out;
  out.resize(text.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.mutable_bytes().data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return fail(ErrorCode::invalid_input, "not base64");
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && size > 0; --i) --size;
  out.resize(size);
  return out;
}

ApiStatus parse_status(const Secret& body) {
  ApiStatus out;
  const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  if (!doc.is_object()) return out;
  out.message = string_at(doc, {"message"});
  out.reason = string_at(doc, {"reason"});
  if (const auto* causes = find_at(doc, {"details", "causes"}); causes != nullptr && causes->is_array()) {
    for (const auto& c : *causes) {
      const std::string field = string_at(c, {"field"});
      const std::string message = string_at(c, {"message"});
      out.causes.push_back(field.empty() ? message : field + ": " + message);
    }
  }
  return out;
}

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

Error status_error(std::string_view what, int status, const Secret& body) {
  const ApiStatus st = parse_status(body);
  std::string detail = st.message;
  for (const auto& cause : st.causes) {
    if (detail.find(cause) == std::string::npos) detail += (detail.empty() ? "" : "; ") + cause;
  }
  ErrorCode code = ErrorCode::internal;
  std::string fallback;
  switch (status) {
    case 404:
      code = ErrorCode::not_found;
      fallback = "not found";
      break;
    case 409:
      code = ErrorCode::conflict;
      fallback = "conflict";
      break;
    case 401:
      code = ErrorCode::unauthorized;
      fallback = "Unauthorized";
      break;
    case 403:
      code = ErrorCode::unauthorized;
      fallback = "forbidden";
      break;
    case 400:
    case 415:
    case 422:
      code = ErrorCode::invalid_input;
      fallback = "invalid request";
      break;
    default:
      code = is_retryable_status(status) ? ErrorCode::unavailable : ErrorCode::internal;
      fallback = is_retryable_status(status) ? "the API server is unavailable" : "unexpected status";
      break;
  }
  return Error{code, fmt::format("{}: {} {}", what, status, clip(detail.empty() ? fallback : detail))};
}

}  // namespace keyd::adapters::kube
