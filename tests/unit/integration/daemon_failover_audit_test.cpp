// The audit trail across failovers: daemons auditing to stdout (audit.sink stdout, the chain's head
// in the shared store) are killed and replaced; their collected lines form one chain.
#include "daemon_failover_fixture.hpp"
#include "keyd/app/audit_accounting.hpp"

namespace keyd::app::failover {
namespace {

// audit.sink stdout (the bundle's two replicas): every daemon, the killed ones too, printed its own
// lines; collected together they are one chain from seq 1 to the head in the shared store, with no
// gap and no fork, and they account for every version the daemons wrote.
TEST_F(DaemonFailover, DaemonsAuditingToStdoutLeaveOneChainAcrossKillsAndTakeovers) {
  stream_audit = true;
  constexpr int k_cycles = 8;
  const TimePoint begin = clock.now();
  const TimePoint end = begin + k_cycles * k_max_age + 30s;
  int generation = 0;
  start("keyd-" + std::to_string(generation++));
  clock.advance(900ms);
  start("keyd-" + std::to_string(generation++));
  int kills = 0;
  std::optional<TimePoint> restart_at;
  bool reverse = false;
  while (clock.now() < end) {
    step_all(reverse = !reverse);
    if (HasFatalFailure()) return;
    const bool kill_due = clock.now() >= begin + (2 + 2 * kills) * k_max_age + 10s;  // cycles 2, 4, 6
    if (kills < 3 && kill_due && leaders().size() == 1 && !restart_at) {
      leaders().front()->alive = false;
      ++kills;
      restart_at = clock.now() + 20s;
    }
    if (restart_at && clock.now() >= *restart_at) {
      start("keyd-" + std::to_string(generation++));
      restart_at.reset();
    }
    clock.advance(k_clock_step);
  }
  ASSERT_EQ(kills, 3);
  std::string collected;
  std::size_t printers = 0;
  for (const auto& s : stacks) {
    collected += s->printed;
    if (!s->printed.empty()) ++printers;
  }
  EXPECT_GE(printers, 3U) << "the entries did not come from several daemons";
  const auto file = dir / "collected.log";
  testing::write_file(file, collected);
  auto store = adapters::make_file_store({dir / "store", {}, 100}, clock);
  ASSERT_TRUE(store);
  auto lines = adapters::read_collected_audit(file);
  ASSERT_TRUE(lines) << lines.error().message;
  auto chain = adapters::verify_collected_audit(*lines, **store, k_audit_head);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_TRUE(chain->ok) << chain->problem;
  auto accounting =
      check_audit_accounting(**store, adapters::collected_audit_records(*lines), {SwarmPath{k_swarm, k_path}});
  ASSERT_TRUE(accounting) << accounting.error().message;
  EXPECT_TRUE(accounting->ok()) << accounting->problems.front();
  const auto versions = history();
  EXPECT_GE(versions.size(), static_cast<std::size_t>(k_cycles));
  EXPECT_EQ(accounting->versions, versions.size());
  EXPECT_EQ(accounting->anchored, versions.size()) << "a version is not anchored to its intent entry";
}

}  // namespace
}  // namespace keyd::app::failover
