#pragma once

#include "keyd/ports/clock.hpp"

namespace keyd::adapters {

class SystemClock final : public ports::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace keyd::adapters
