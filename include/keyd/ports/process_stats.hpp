// What a process reports about itself for the standard Prometheus process_* metrics (issue 19):
// CPU time, memory as a container's accounting sees it, descriptors and start time. Read from
// /proc by keyd/adapters/os/process_stats.cpp; rendered by keyd/server/metrics.cpp.
#pragma once

#include <cstdint>
#include <optional>

namespace keyd::ports {

struct ProcessStats {
  double cpu_seconds = 0;            // user + system
  std::uint64_t resident_bytes = 0;  // VmRSS
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::optional<std::uint64_t> max_fds;  // RLIMIT_NOFILE's soft limit; unset when unlimited
  double start_time_seconds = 0;         // Unix time
};

}  // namespace keyd::ports
