// Kubernetes answers as keyd reads them without a connection: the Status body of a non-2xx answer
// and its error mapping (keyd/adapters/kube/kube_status.cpp), label selectors of a workload
// (kube_json.cpp), and the rollout rules applied to a workload's status (domain::evaluate_rollout).
// The input: byte 0 picks the part, bytes 1-2 an HTTP status, the rest a JSON body (or, for the
// rollout, the numbers of a WorkloadStatus).
// Asserts: status_error maps 404 → not_found, 409 → conflict, 401/403 → unauthorized, 429/5xx →
// unavailable (retryable), its message starts with the request and carries no swarm key (a Status
// can quote what was sent: a Secret's data); a selector string has no blank and is never empty;
// a rollout is complete only with every desired pod updated, and says why when it is not.
#include "fuzz_check.hpp"
#include "keyd/domain/rollout.hpp"
#include "kube/kube_json.hpp"
#include "kube/kube_status.hpp"
#include "leak_check.hpp"

#include <cstring>

namespace {

using namespace keyd;
using namespace keyd::adapters;

template <typename T>
T take(std::string_view& bytes) {
  T value{};
  const auto n = std::min(sizeof(T), bytes.size());
  std::memcpy(&value, bytes.data(), n);
  bytes.remove_prefix(n);
  return value;
}

void rollout(std::string_view bytes) {
  domain::WorkloadStatus s;
  s.kind = static_cast<domain::WorkloadKind>(take<std::uint8_t>(bytes) % 3);
  s.name = "w";
  s.generation = take<std::int64_t>(bytes);
  s.observed_generation = take<std::int64_t>(bytes);
  // Counts as keyd reads them (kube_rollout_watch.cpp clamps to 0..INT32_MAX).
  const auto count = [&bytes] { return take<std::int32_t>(bytes) & 0x7fffffff; };
  s.desired = count();
  s.ready = count();
  s.updated = count();
  s.available = count();
  s.total = count();
  static constexpr const char* strategies[] = {"RollingUpdate", "OnDelete", "Recreate", ""};
  const auto flags = take<std::uint8_t>(bytes);
  s.update_strategy = strategies[flags % 4];
  if ((flags & 4U) != 0) s.partition = count();
  s.paused = (flags & 8U) != 0;
  s.progress_deadline_exceeded = (flags & 16U) != 0;
  s.current_revision = (flags & 32U) != 0 ? "a" : "b";
  s.update_revision = "a";
  const auto state = domain::evaluate_rollout(s);
  if (state.phase == domain::RolloutPhase::complete) {
    FUZZ_CHECK(state.updated >= 0 && state.desired >= 0);
  } else {
    FUZZ_CHECK(!state.message.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const int which = data[0] % 3;
  const int status = 100 + (data[1] << 8 | data[2]) % 500;
  const auto text = fuzz::as_text(data + 3, size - 3);
  if (which == 2) {
    rollout(text);
    return 0;
  }
  const auto body = Secret::from_text(text);
  if (which == 0) {
    const std::string what = "kubernetes PUT /api/v1/namespaces/ipfs/secrets/ipfs-swarm-key";
    const auto error = kube::status_error(what, status, body);
    fuzz::check_no_key_in(error.message);
    FUZZ_CHECK(error.message.starts_with(what));
    if (status == 404) FUZZ_CHECK(error.code == ErrorCode::not_found);
    if (status == 409) FUZZ_CHECK(error.code == ErrorCode::conflict);
    if (status == 401 || status == 403) FUZZ_CHECK(error.code == ErrorCode::unauthorized);
    if (kube::is_retryable_status(status)) FUZZ_CHECK(error.code == ErrorCode::unavailable);
    return 0;
  }
  const auto doc = kube::parse_json(body, "kubernetes GET /apis/apps/v1/namespaces/ipfs/statefulsets/ipfs");
  if (!doc) return 0;
  const auto selector = kube::selector_string(*doc);
  if (selector) {
    FUZZ_CHECK(!selector->empty());
  }
  (void)kube::string_at(*doc, {"spec", "template", "metadata", "annotations", "keyd.io/swarm-key-fingerprint"});
  (void)kube::int_at(*doc, {"metadata", "generation"});
  return 0;
}
