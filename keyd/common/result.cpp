#include "keyd/common/result.hpp"

namespace keyd {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::invalid_config: return "invalid_config";
    case ErrorCode::integrity: return "integrity";
    case ErrorCode::io: return "io";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

Error Error::with_context(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).with_context(context);
}

Error Error::with_context(std::string_view context) && {
  if (!context.empty()) message = std::string(context) + ": " + message;
  return std::move(*this);
}

}  // namespace keyd
