// Test hook shared by every layer: when the environment variable KEYD_TEST_CRASH_AT names `point`,
// the process kills itself with SIGKILL there, so tests can crash the real binary at a deterministic
// step of a rotation. Points: before-intent, after-intent, after-store-write, after-result
// (keyd/app/rotate.cpp), after-secret-update, after-workload-patch, during-rollout-wait (the
// kubernetes target), before-delivery-audit, after-delivery-audit (keyd/app/swarm_ops.cpp).
// Not meant for production use.
#pragma once

#include <string_view>

namespace keyd {

void test_crash_point(std::string_view point);

}  // namespace keyd
