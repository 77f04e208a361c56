// The structured fields of what is being worked on, for `--log-format json` (issue 19: swarm,
// version, fingerprint, target as their own keys for a cluster's log pipeline). Use cases open a
// LogScope where the values become known; every log line written on that thread inside the scope
// carries them. Text logs are unchanged: their messages already name these in words. Per thread,
// like a mapped diagnostic context: the daemon's threads never see each other's fields.
#pragma once

#include <optional>
#include <string>

namespace keyd {

struct LogFields {
  std::string swarm{};
  std::optional<int> version{};
  std::string fingerprint{};  // Kubo's fingerprint (public); never key material
  std::string target{};       // a target's description, e.g. "kubernetes ipfs-system/ipfs-swarm-key"
};

// The fields in force on this thread.
[[nodiscard]] const LogFields& current_log_fields() noexcept;

// Sets the given non-empty fields on top of the ones in force, until destroyed (scopes nest; the
// previous fields come back when this one ends).
class LogScope {
 public:
  explicit LogScope(const LogFields& fields);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogFields m_previous;
};

}  // namespace keyd
