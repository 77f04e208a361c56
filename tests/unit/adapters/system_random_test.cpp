#include "keyd/adapters/os/system_random.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace keyd::adapters {
namespace {

TEST(SystemRandom, ValuesAreInTheHalfOpenUnitInterval) {
  SystemRandom random;
  for (int i = 0; i < 10'000; ++i) {
    const double v = random.uniform();
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}

TEST(SystemRandom, ValuesVaryAndTwoSourcesAreSeededApart) {
  SystemRandom a;
  SystemRandom b;
  std::set<double> seen;
  for (int i = 0; i < 100; ++i) seen.insert(a.uniform());
  EXPECT_GT(seen.size(), 90U);
  std::vector<double> first(16);
  std::vector<double> second(16);
  for (auto& v : first) v = a.uniform();
  for (auto& v : second) v = b.uniform();
  EXPECT_NE(first, second);
}

TEST(SystemRandom, SharedByThreads) {
  SystemRandom random;
  std::vector<std::thread> threads;
  std::vector<double> sums(4, 0.0);
  for (std::size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) sums[t] += random.uniform();
    });
  }
  for (auto& t : threads) t.join();
  for (double s : sums) EXPECT_NEAR(s / 20'000.0, 0.5, 0.05);
}

}  // namespace
}  // namespace keyd::adapters
