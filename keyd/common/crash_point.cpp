#include "keyd/common/crash_point.hpp"

#include <csignal>
#include <cstdlib>

namespace keyd {

void test_crash_point(std::string_view point) {
  static const char* const armed = std::getenv("KEYD_TEST_CRASH_AT");  // NOLINT(concurrency-mt-unsafe)
  if (armed != nullptr && point == armed) std::raise(SIGKILL);
}

}  // namespace keyd
