// The process_* metrics' source (issue 19): /proc/self/stat parsed on fixed text, and this test
// process read live.
#include "keyd/adapters/os/process_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

namespace keyd::adapters {
namespace {

// A real line's shape; the command name holds spaces and a ')' (the fields count from the last one).
constexpr std::string_view k_stat =
    "4242 (keyd (a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 5 0 123400 "
    "104857600 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessStats, ParsesCpuMemoryAndStartFromProcStat) {
  const auto stats = parse_proc_stat(k_stat, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.0);  // (250 + 50) ticks at 100 Hz
  EXPECT_EQ(stats->virtual_bytes, 104857600U);
  EXPECT_EQ(stats->resident_bytes, 2048U * 4096U);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1'700'000'000 + 1234.0);
}

TEST(ProcessStats, RefusesALineItCannotRead) {
  EXPECT_FALSE(parse_proc_stat("4242 keyd S 1 2 3", 100, 4096, 0).has_value()) << "no parentheses";
  EXPECT_FALSE(parse_proc_stat("4242 (keyd) S 1 2 3", 100, 4096, 0).has_value()) << "too few fields";
  EXPECT_FALSE(parse_proc_stat(std::string(k_stat).replace(k_stat.find(" 250 "), 5, " x50 "), 100, 4096, 0)
                   .has_value())
      << "a field that is not a number";
}

TEST(ProcessStats, ThisProcessIsReadLive) {
  const auto before = read_process_stats();
  ASSERT_TRUE(before.has_value()) << before.error().message;
  EXPECT_GT(before->resident_bytes, 1U << 20);
  EXPECT_GE(before->virtual_bytes, before->resident_bytes);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 3600) << "started within the hour";
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto after = read_process_stats();
  close(fd);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->open_fds, before->open_fds + 1) << "one more descriptor";
}

}  // namespace
}  // namespace keyd::adapters
