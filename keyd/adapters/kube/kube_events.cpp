// A core/v1 Event "SwarmKeyRotated" on each restarted workload, so `kubectl describe` and
// `kubectl get events` show the rotation. Best effort: the key is delivered either way.
#include "kube_ops.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

namespace keyd::adapters::kube {

namespace {

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "keyd";
  return std::string(buf.data());
}

// Event timestamps are RFC 3339 with seconds (metav1.Time).
std::string seconds_rfc3339(std::chrono::system_clock::time_point t) {
  return ports::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(t)).substr(0, 19) + "Z";
}

}  // namespace

SecretJson rotation_event(const Workload& w, const ports::Delivery& delivery, std::string_view secret,
                          const ports::Clock& clock) {
  const auto now = clock.now();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::string when = seconds_rfc3339(now);
  const std::string message =
      secret.empty()
          ? fmt::format("keyd restarts the pods for swarm key version {} (fingerprint {}) of {}", delivery.version,
                        delivery.fingerprint, delivery.store_path)
          : fmt::format("keyd delivered swarm key version {} (fingerprint {}) of {} to Secret {} and restarts the pods",
                        delivery.version, delivery.fingerprint, delivery.store_path, secret);

  SecretJson event;
  event["apiVersion"] = "v1";
  event["kind"] = "Event";
  // client-go's naming: <object>.<unix nanoseconds in hex>.
  event["metadata"]["name"] = wiped(fmt::format("{}.{:x}", w.name, nanos));
  event["metadata"]["namespace"] = wiped(w.ns);
  auto& involved = event["involvedObject"];
  involved["apiVersion"] = "apps/v1";
  involved["kind"] = wiped(w.type.kind_name);
  involved["name"] = wiped(w.name);
  involved["namespace"] = wiped(w.ns);
  involved["uid"] = wiped(string_at(w.object, {"metadata", "uid"}));
  involved["resourceVersion"] = wiped(string_at(w.object, {"metadata", "resourceVersion"}));
  event["reason"] = "SwarmKeyRotated";
  event["message"] = wiped(message);
  event["type"] = "Normal";
  event["source"]["component"] = "keyd";
  event["firstTimestamp"] = wiped(when);
  event["lastTimestamp"] = wiped(when);
  event["count"] = 1;
  event["reportingComponent"] = "keyd";
  event["reportingInstance"] = wiped(host_name());

  return event;
}

void send_event(KubeApi& api, const SecretJson& event, const std::string& workload_label) {
  const std::string ns = string_at(event, {"metadata", "namespace"});
  if (auto created = api.create(events_path(ns), event); !created) {
    spdlog::warn("kubernetes: could not record the SwarmKeyRotated event on {} ({}); the rotation goes on",
                 workload_label, created.error().message);
  }
}

}  // namespace keyd::adapters::kube
