// Expected failures are values: every fallible call returns Result<T>.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace keyd {

enum class ErrorCode {
  not_found,       // the thing asked for does not exist
  conflict,        // check-and-set mismatch or a concurrent writer
  unauthorized,    // credentials missing, wrong or expired
  unavailable,     // the backend cannot be reached or refused for now (retryable)
  timeout,         // a deadline passed
  invalid_input,   // bad user data (a malformed key, a bad flag value)
  invalid_config,  // a configuration error
  integrity,       // a record or a chain failed authentication (tampering, wrong master key)
  io,              // local file-system failure
  internal,        // a bug or an unexpected library failure
};

std::string_view to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;  // names what failed (path, status); never key material

  // Prefix the message with context, e.g. error.with_context("store ipfs-overlay/swarm-key").
  [[nodiscard]] Error with_context(std::string_view context) const&;
  [[nodiscard]] Error with_context(std::string_view context) &&;
};

template <typename T>
using Result = std::expected<T, Error>;

using Status = Result<void>;

[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
  return std::unexpected(std::move(error));
}

}  // namespace keyd

// KEYD_TRY(expr): evaluate a Result; on failure return its error from the enclosing function.
#define KEYD_CONCAT_INNER(a, b) a##b
#define KEYD_CONCAT(a, b) KEYD_CONCAT_INNER(a, b)
#define KEYD_TRY(expr)                                              \
  do {                                                              \
    if (auto&& KEYD_CONCAT(keyd_try_, __LINE__) = (expr); !KEYD_CONCAT(keyd_try_, __LINE__)) \
      return ::std::unexpected(std::move(KEYD_CONCAT(keyd_try_, __LINE__)).error()); \
  } while (false)

// KEYD_ASSIGN_OR_RETURN(lhs, expr): lhs = *expr, or return its error.
#define KEYD_ASSIGN_OR_RETURN(lhs, expr)                                 \
  auto KEYD_CONCAT(keyd_res_, __LINE__) = (expr);                        \
  if (!KEYD_CONCAT(keyd_res_, __LINE__))                                 \
    return ::std::unexpected(std::move(KEYD_CONCAT(keyd_res_, __LINE__)).error()); \
  lhs = std::move(*KEYD_CONCAT(keyd_res_, __LINE__))
