// Several keyd processes rotating the same swarm at once: check-and-set plus the store lock mean
// every success gets its own version, losers fail with a conflict, and nothing is lost or torn.
#include "cli_support.hpp"

#include <set>
#include <thread>

namespace keyd::testing {
namespace {

using Concurrency = KeydCli;

TEST_F(Concurrency, ParallelRotationsNeverShareOrLoseAVersion) {
  ok({"rotate"});
  constexpr int k_processes = 6;
  std::vector<CommandResult> results(k_processes);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_processes; ++i) {
    threads.emplace_back([this, i, &results] {
      results[static_cast<std::size_t>(i)] =
          run_keyd({"rotate", "--config", "keyd.yaml", "--output", "json"}, dir.path());
    });
  }
  for (auto& t : threads) t.join();

  std::set<int> versions;
  std::set<std::string> fingerprints;
  int successes = 0;
  for (const auto& r : results) {
    if (r.exit_code == 0) {
      auto j = nlohmann::json::parse(r.out);
      EXPECT_TRUE(versions.insert(j["version"].get<int>()).second) << "version handed out twice";
      fingerprints.insert(j["fingerprint"].get<std::string>());
      ++successes;
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("changed while keyd was writing"), std::string::npos) << r.err;
    }
  }
  EXPECT_GE(successes, 1);
  auto history = ok_json({"history"});
  ASSERT_EQ(history.size(), static_cast<std::size_t>(1 + successes));
  for (std::size_t i = 1; i < history.size(); ++i) {
    EXPECT_TRUE(fingerprints.count(history[i]["fingerprint"].get<std::string>())) << "an unreported version";
  }
  // The target holds the newest version, and the audit chain survived concurrent appends.
  auto inspect = nlohmann::json::parse(keyd({"inspect", ".keyd/ipfs/swarm.key", "--output", "json"}).out);
  EXPECT_EQ(inspect["fingerprint"], history.back()["fingerprint"]) << "the target was left on a stale key";
  ok({"audit", "verify"});
}

}  // namespace
}  // namespace keyd::testing
