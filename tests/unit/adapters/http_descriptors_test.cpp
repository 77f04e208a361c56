// The HTTP server's connection cap and the open file limit (issue 15 item 3): the soft limit is
// raised for the cap, and the cap lowered when the hard limit does not allow it.
#include "http/event_server.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keyd::adapters::http {
namespace {

TEST(HttpDescriptors, TheSoftLimitIsRaisedForTheCap) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 2048) GTEST_SKIP() << "hard limit too low here";
  rlimit low = before;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(reserve_descriptors(1000), 1000u);
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_GE(after.rlim_cur, 1000u);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &before), 0);
}

TEST(HttpDescriptors, TheCapIsLoweredWhenTheHardLimitIsTooLow) {
  // A lowered hard limit cannot be raised again: in a child process.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit low{200, 200};
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) ::_exit(1);
    ::_exit(reserve_descriptors(512) == 200 - 64 ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: setrlimit failed, 2: the cap was not lowered to the limit";
}

}  // namespace
}  // namespace keyd::adapters::http
