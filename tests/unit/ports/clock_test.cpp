#include "keyd/ports/clock.hpp"

#include <gtest/gtest.h>

namespace keyd::ports {
namespace {

TEST(FormatRfc3339, UtcWithNanoseconds) {
  using namespace std::chrono;
  const system_clock::time_point t{seconds{1'790'000'000} + nanoseconds{5}};
  EXPECT_EQ(format_rfc3339(t), "2026-09-21T14:13:20.000000005Z");
  EXPECT_EQ(format_rfc3339(system_clock::time_point{}), "1970-01-01T00:00:00.000000000Z");
}

}  // namespace
}  // namespace keyd::ports
