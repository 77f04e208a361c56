#include "keyd/adapters/os/system_random.hpp"

namespace keyd::adapters {

SystemRandom::SystemRandom() : m_engine(std::random_device{}()) {}

double SystemRandom::uniform() {
  const std::lock_guard lock(m_mutex);
  return std::uniform_real_distribution<double>(0.0, 1.0)(m_engine);
}

}  // namespace keyd::adapters
