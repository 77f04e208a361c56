// This process's statistics for the process_* metrics; see include/keyd/adapters/os/process_stats.hpp.
#include "keyd/adapters/os/process_stats.hpp"

#include "keyd/adapters/os/fs.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace keyd::adapters {

namespace {

std::optional<std::uint64_t> to_number(std::string_view word) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
  if (ec != std::errc{} || end != word.data() + word.size()) return std::nullopt;
  return n;
}

}  // namespace

Result<ports::ProcessStats> parse_proc_stat(std::string_view line, long ticks_per_second, long page_size,
                                            std::int64_t boot_time_seconds) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) {
    return fail(ErrorCode::internal, "/proc/self/stat: no command name in parentheses");
  }
  // Field 3 (state) is the first word after the name; field N is words[N - 3].
  std::vector<std::string_view> words;
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    words.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  const auto field = [&](std::size_t n) -> std::optional<std::uint64_t> {
    return n - 3 < words.size() ? to_number(words[n - 3]) : std::nullopt;
  };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23), rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) {
    return fail(ErrorCode::internal, "/proc/self/stat: fewer than 24 numeric fields");
  }
  ports::ProcessStats stats;
  const auto ticks = static_cast<double>(ticks_per_second);
  stats.cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
  stats.start_time_seconds = static_cast<double>(boot_time_seconds) + static_cast<double>(*start) / ticks;
  stats.virtual_bytes = *vsize;
  stats.resident_bytes = *rss * static_cast<std::uint64_t>(page_size);
  return stats;
}

Result<ports::ProcessStats> read_process_stats() {
  KEYD_ASSIGN_OR_RETURN(const std::string stat, read_text_file("/proc/self/stat"));
  KEYD_ASSIGN_OR_RETURN(const std::string system, read_text_file("/proc/stat"));
  std::int64_t boot_time = 0;
  for (std::istringstream in(system); in;) {
    std::string key;
    in >> key;
    if (key == "btime") {
      in >> boot_time;
      break;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  KEYD_ASSIGN_OR_RETURN(auto stats, parse_proc_stat(stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time));
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++stats.open_fds;
  }
  if (ec) return fail(ErrorCode::io, "cannot list /proc/self/fd: " + ec.message());
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) stats.max_fds = limit.rlim_cur;
  return stats;
}

}  // namespace keyd::adapters
