#include "keyd/ports/clock.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace keyd::ports {

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto nanos = duration_cast<nanoseconds>(t - secs).count();
  const std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", tm, nanos);
}

}  // namespace keyd::ports
