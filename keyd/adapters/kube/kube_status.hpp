// What a non-2xx Kubernetes answer means (decided once, here). No I/O.
#pragma once

#include "../os/wiping_allocator.hpp"
#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::kube {


// A Status body (kind Status) as far as messages need it.
struct ApiStatus {
  std::string message;              // e.g. secrets "x" not found
  std::string reason;               // NotFound, Conflict, AlreadyExists, Forbidden, Invalid, ...
  std::vector<std::string> causes;  // "field: message" of details.causes
};
[[nodiscard]] ApiStatus parse_status(const Secret& body);

// What a non-2xx answer means, for every call: 404 → not_found, 409 → conflict, 401/403 →
// unauthorized (the 403 message names verb and resource), 422/400/415 → invalid_input (with
// causes), 429/5xx → unavailable. `what` is e.g. "kubernetes GET /api/v1/namespaces/x/secrets/y".
[[nodiscard]] Error status_error(std::string_view what, int status, const Secret& body);
[[nodiscard]] bool is_retryable_status(int status);

}  // namespace keyd::adapters::kube
