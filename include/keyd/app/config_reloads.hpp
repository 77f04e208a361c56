// The daemon's configuration reloads (SIGHUP), counted by outcome for /metrics (keyd/server renders them):
// keyd_config_reloads_total{outcome="restarted"|"rejected"}. A restart in place replaces the
// process image, so the counts travel to the new image as text (carried()/resumed()). Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace keyd::app {

enum class ReloadOutcome { restarted, rejected };
inline constexpr std::array<ReloadOutcome, 2> k_reload_outcomes{ReloadOutcome::restarted, ReloadOutcome::rejected};
// "restarted", "rejected": the outcome label of the metric and the name in carried().
[[nodiscard]] std::string_view to_string(ReloadOutcome outcome);

class ConfigReloads {
 public:
  ConfigReloads() = default;
  // The counts of a previous image of this process, from carried(); anything unreadable counts 0.
  explicit ConfigReloads(std::string_view carried_text);

  void record(ReloadOutcome outcome);
  [[nodiscard]] std::uint64_t count(ReloadOutcome outcome) const;
  // "restarted=N rejected=M", for the next image.
  [[nodiscard]] std::string carried() const;

 private:
  std::array<std::atomic<std::uint64_t>, 2> m_counts{};
};

}  // namespace keyd::app
