#include "keyd/app/config_reloads.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>

namespace keyd::app {

namespace {

constexpr std::array<std::pair<ReloadOutcome, std::string_view>, 2> k_outcomes{
    {{ReloadOutcome::restarted, "restarted"}, {ReloadOutcome::rejected, "rejected"}}};

std::size_t index(ReloadOutcome outcome) { return static_cast<std::size_t>(outcome); }

// The number after "<name>=" in `text`; 0 when absent or not a number.
std::uint64_t field(std::string_view text, std::string_view name) {
  const std::string key = fmt::format("{}=", name);
  const std::size_t at = text.find(key);
  if (at == std::string_view::npos || (at > 0 && text[at - 1] != ' ')) return 0;
  const char* begin = text.data() + at + key.size();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  return ec == std::errc() && end != begin ? value : 0;
}

}  // namespace

std::string_view to_string(ReloadOutcome outcome) {
  for (const auto& [value, name] : k_outcomes) {
    if (value == outcome) return name;
  }
  return "unknown";
}

ConfigReloads::ConfigReloads(std::string_view carried_text) {
  for (const auto& [outcome, name] : k_outcomes) m_counts[index(outcome)] = field(carried_text, name);
}

void ConfigReloads::record(ReloadOutcome outcome) { ++m_counts[index(outcome)]; }

std::uint64_t ConfigReloads::count(ReloadOutcome outcome) const { return m_counts[index(outcome)].load(); }

std::string ConfigReloads::carried() const {
  return fmt::format("restarted={} rejected={}", count(ReloadOutcome::restarted), count(ReloadOutcome::rejected));
}

}  // namespace keyd::app
