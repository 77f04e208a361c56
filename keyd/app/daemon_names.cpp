// The names of the daemon's states as the API and the metrics spell them (include/keyd/app/daemon.hpp).
#include "keyd/app/daemon.hpp"

namespace keyd::app {

std::string_view to_string(TargetCondition condition) {
  switch (condition) {
    case TargetCondition::unknown:
      return "unknown";
    case TargetCondition::in_sync:
      return "in_sync";
    case TargetCondition::repaired:
      return "repaired";
    case TargetCondition::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(RotationOutcome outcome) {
  switch (outcome) {
    case RotationOutcome::success:
      return "success";
    case RotationOutcome::failure:
      return "failure";
    case RotationOutcome::conflict:
      return "conflict";
    case RotationOutcome::delivery_failed:
      return "delivery_failed";
  }
  return "unknown";
}

}  // namespace keyd::app
