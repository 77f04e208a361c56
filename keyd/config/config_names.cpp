// The YAML spellings of the config's enumerations.
#include "keyd/config/config.hpp"

#include <array>

namespace keyd::config {
namespace {

constexpr std::array<std::string_view, 4> k_backends{"file", "vault", "mcp", "daemon"};
constexpr std::array<std::string_view, 2> k_target_types{"file", "kubernetes"};
constexpr std::array<std::string_view, 3> k_strategies{"rolling", "recreate", "none"};
constexpr std::array<std::string_view, 3> k_workload_kinds{"StatefulSet", "Deployment", "DaemonSet"};
constexpr std::array<std::string_view, 3> k_auth_methods{"token", "approle", "kubernetes"};
constexpr std::array<std::string_view, 2> k_audit_sinks{"file", "stdout"};

}  // namespace

std::string_view to_string(StoreBackend backend) noexcept { return k_backends.at(static_cast<std::size_t>(backend)); }
std::string_view to_string(TargetType type) noexcept { return k_target_types.at(static_cast<std::size_t>(type)); }
std::string_view to_string(RestartStrategy strategy) noexcept {
  return k_strategies.at(static_cast<std::size_t>(strategy));
}
std::string_view to_string(WorkloadKind kind) noexcept { return k_workload_kinds.at(static_cast<std::size_t>(kind)); }
std::string_view to_string(VaultAuthMethod method) noexcept {
  return k_auth_methods.at(static_cast<std::size_t>(method));
}
std::string_view to_string(AuditSink sink) noexcept { return k_audit_sinks.at(static_cast<std::size_t>(sink)); }

}  // namespace keyd::config
