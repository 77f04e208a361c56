// Target: a place a swarm key is delivered to (a file, later a Kubernetes Secret).
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <string>
#include <string_view>

namespace keyd::ports {

struct Delivery {
  std::string_view swarm;
  std::string_view store_path;
  int version = 0;
  std::string_view fingerprint;  // Kubo fingerprint of key_text
  const Secret& key_text;        // canonical key file text
  // This run wrote `version` just now with check-and-set, so no target can hold it yet: a target
  // may write without reading first (the kubernetes target patches its Secret in one request,
  // falling back to read-and-update when the patch's preconditions do not hold). False for
  // syncs, catch-ups and the daemon's checks, which must find out whether the target is current.
  bool fresh = false;
};

enum class ApplyOutcome { changed, unchanged };

// A target as structured labels for metrics (issue 19): its kind ("file", "kubernetes"), namespace
// (kubernetes only) and name (the file's path; the Secret's name, or the first restarted workload's
// when the target has no Secret).
struct TargetIdentity {
  std::string kind;
  std::string namespace_name;
  std::string name;
};

class Target {
 public:
  virtual ~Target() = default;
  // e.g. "file .keyd/ipfs/swarm.key"; used in reports, logs and audit entries.
  [[nodiscard]] virtual std::string describe() const = 0;
  [[nodiscard]] virtual TargetIdentity identity() const { return {"other", "", describe()}; }
  // Deliver the key. Must be idempotent: unchanged when the target already holds this fingerprint.
  [[nodiscard]] virtual Result<ApplyOutcome> apply(const Delivery& delivery) = 0;
  // A new version is about to be written (rotate, import, rollback): start, in the background, the
  // read-only checks the next apply() needs, so they overlap with the store's work. Writes nothing
  // and reports nothing: apply() waits for them and uses what they found; when they failed, are old
  // or were never started it makes them itself, so its answer and errors are the ones it always
  // gave. A target destroyed without apply() (the rotation failed first) waits for them briefly.
  virtual void prepare() {}
  // When apply() fails, should the use case put the previous key version back (as a new version)
  // and deliver that? For targets whose failure leaves a swarm split (a rollout that never ends).
  [[nodiscard]] virtual bool rollback_on_failure() const { return false; }
};

}  // namespace keyd::ports
