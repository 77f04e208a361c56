// The process's source of timing randomness: a mutex-guarded 64-bit Mersenne Twister seeded from
// std::random_device. One per runtime, shared by every retry loop and interval that jitters.
#pragma once

#include "keyd/ports/random.hpp"

#include <mutex>
#include <random>

namespace keyd::adapters {

class SystemRandom final : public ports::Random {
 public:
  SystemRandom();
  [[nodiscard]] double uniform() override;

 private:
  std::mutex m_mutex;
  std::mt19937_64 m_engine;
};

}  // namespace keyd::adapters
