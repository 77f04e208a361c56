#include "kube_paths.hpp"

#include <fmt/format.h>

#include <cctype>

namespace keyd::adapters::kube {

std::string secrets_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/secrets", ns); }
std::string secret_path(std::string_view ns, std::string_view name) {
  return fmt::format("/api/v1/namespaces/{}/secrets/{}", ns, name);
}
std::string workload_path(const WorkloadType& type, std::string_view ns, std::string_view name) {
  return fmt::format("/apis/apps/v1/namespaces/{}/{}/{}", ns, type.resource, name);
}
std::string pods_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/pods", ns); }
std::string pod_path(std::string_view ns, std::string_view name) {
  return fmt::format("/api/v1/namespaces/{}/pods/{}", ns, name);
}
std::string events_path(std::string_view ns) { return fmt::format("/api/v1/namespaces/{}/events", ns); }

std::string query_escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace keyd::adapters::kube
