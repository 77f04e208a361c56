// Per-thread structured log fields; see include/keyd/common/log_fields.hpp.
#include "keyd/common/log_fields.hpp"

#include <utility>

namespace keyd {

namespace {
thread_local LogFields t_fields;
}  // namespace

const LogFields& current_log_fields() noexcept { return t_fields; }

LogScope::LogScope(const LogFields& fields) : m_previous(t_fields) {
  if (!fields.swarm.empty()) t_fields.swarm = fields.swarm;
  if (fields.version) t_fields.version = fields.version;
  if (!fields.fingerprint.empty()) t_fields.fingerprint = fields.fingerprint;
  if (!fields.target.empty()) t_fields.target = fields.target;
}

LogScope::~LogScope() { t_fields = std::move(m_previous); }

}  // namespace keyd
