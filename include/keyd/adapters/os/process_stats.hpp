// This process's ports::ProcessStats, from /proc/self/stat, /proc/stat (boot time), /proc/self/fd
// and getrlimit. The parser of /proc/self/stat is separate so its edge cases (a command name with
// spaces and parentheses) are tested on fixed text.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/process_stats.hpp"

#include <cstdint>
#include <string_view>

namespace keyd::adapters {

// Fields of a /proc/<pid>/stat line (proc(5)): utime and stime (14, 15) and starttime (22) in clock
// ticks, vsize (23) in bytes, rss (24) in pages. The command name (2) is in parentheses and may hold
// spaces and ')': the fields after it are counted from its last ')'.
[[nodiscard]] Result<ports::ProcessStats> parse_proc_stat(std::string_view line, long ticks_per_second,
                                                          long page_size, std::int64_t boot_time_seconds);

// This process's statistics now; an io error names the file that could not be read.
[[nodiscard]] Result<ports::ProcessStats> read_process_stats();

}  // namespace keyd::adapters
