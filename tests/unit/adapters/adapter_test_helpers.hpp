// What the kubernetes target and Vault store test helpers share: the common includes, an error's
// code as text (so a failed EXPECT_EQ prints "invalid_input" rather than bytes) and substring checks.
#pragma once

#include "keyd/common/result.hpp"

#include "support/log_capture.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters::test_helpers {

inline std::string code_of(const Error& error) { return std::string(to_string(error.code)); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace keyd::adapters::test_helpers
