#include "kube_status.hpp"

#include "kube_json.hpp"

#include "keyd/common/redact.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keyd::adapters::kube {

namespace {

constexpr std::size_t k_max_error_text = 400;

}  // namespace

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
  // A Status may echo what keyd sent (a Secret's data): key-shaped runs never reach the message
  // (fuzz finding 8, docs/fuzzing.md).
  return Error{code, fmt::format("{}: {} {}", what, status,
                                 redact_for_message(detail.empty() ? fallback : detail, k_max_error_text))};
}

}  // namespace keyd::adapters::kube
