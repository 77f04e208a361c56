#pragma once

#include "keyd/ports/clock.hpp"

#include <thread>

namespace keyd::adapters {

class SystemClock final : public ports::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  void sleep_for(std::chrono::milliseconds duration) const override { std::this_thread::sleep_for(duration); }
};

}  // namespace keyd::adapters
