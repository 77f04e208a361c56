// The SIGHUP reload counts, carried across a restart in place as text (anything unreadable counts
// 0, never fails). Their Prometheus text: tests/unit/server/metrics_render_test.cpp.
#include "keyd/app/config_reloads.hpp"

#include <gtest/gtest.h>

namespace keyd::app {
namespace {

TEST(ConfigReloads, CountsTravelToTheNextImage) {
  ConfigReloads before;
  before.record(ReloadOutcome::rejected);
  before.record(ReloadOutcome::restarted);
  before.record(ReloadOutcome::restarted);
  const ConfigReloads after(before.carried());
  EXPECT_EQ(after.count(ReloadOutcome::restarted), 2U);
  EXPECT_EQ(after.count(ReloadOutcome::rejected), 1U);
}

TEST(ConfigReloads, UnreadableCarriedTextCountsZero) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case c : {Case{"", "not set"}, Case{"restarted=x rejected=", "not numbers"},
                       Case{"xrestarted=5", "not a field of its own"},
                       Case{"restarted=99999999999999999999999", "out of range"}}) {
    const ConfigReloads reloads(c.text);
    EXPECT_EQ(reloads.count(ReloadOutcome::restarted), 0U) << c.why;
    EXPECT_EQ(reloads.count(ReloadOutcome::rejected), 0U) << c.why;
  }
}

}  // namespace
}  // namespace keyd::app
