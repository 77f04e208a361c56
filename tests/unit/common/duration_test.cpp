#include "keyd/common/duration.hpp"

#include <gtest/gtest.h>

namespace keyd {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesGoStyle) {
  const std::vector<std::pair<std::string, std::chrono::nanoseconds>> cases{
      {"0", 0ns},       {"30s", 30s},       {"15m", 15min}, {"720h", 720h},        {"1h30m", 90min},
      {"250ms", 250ms}, {"1h2m3s", 3723s},  {"10us", 10us}, {"5ns", 5ns},          {"2m30s", 150s},
  };
  for (const auto& [text, want] : cases) {
    auto got = parse_duration(text);
    ASSERT_TRUE(got) << text << ": " << got.error().message;
    EXPECT_EQ(*got, want) << text;
  }
}

TEST(Duration, RejectsWithAReason) {
  for (const char* text : {"", "10", "s", "10x", "-5s", "1.5h", "10 s", "9999999999999999h"}) {
    auto got = parse_duration(text);
    ASSERT_FALSE(got) << text;
    EXPECT_EQ(got.error().code, ErrorCode::invalid_input);
    EXPECT_NE(got.error().message.find("invalid duration"), std::string::npos);
  }
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(720h), "720h");
  EXPECT_EQ(format_duration(0s), "0s");
}

}  // namespace
}  // namespace keyd
