// The one RFC 3339 parser and formatter: the union of what Vault, the file store and Kubernetes
// write, and nothing RFC 3339's grammar does not allow.
#include "keyd/common/rfc3339.hpp"

#include <gtest/gtest.h>

namespace keyd {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const system_clock::time_point k_base = sys_days{2026y / November / 28} + 10h;

TEST(Rfc3339Home, FormatsUtcWithNanosecondsAndParsesItBack) {
  const auto t = k_base + 123456789ns;
  EXPECT_EQ(format_rfc3339(t), "2026-11-28T10:00:00.123456789Z");
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
  EXPECT_EQ(format_rfc3339(system_clock::time_point{}), "1970-01-01T00:00:00.000000000Z");
}

TEST(Rfc3339Home, FewerFractionDigitsCutTheFraction) {
  const auto t = k_base + 123987654ns;
  EXPECT_EQ(format_rfc3339(t, 3), "2026-11-28T10:00:00.123Z") << "log lines: milliseconds, cut not rounded";
  EXPECT_EQ(format_rfc3339(t, 6), "2026-11-28T10:00:00.123987Z");
  EXPECT_EQ(format_rfc3339(t, 0), "2026-11-28T10:00:00Z");
  EXPECT_EQ(format_rfc3339(k_base + 5ms, 3), "2026-11-28T10:00:00.005Z") << "leading zeros kept";
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t, 3)), k_base + 123ms);
}

TEST(Rfc3339Home, AcceptsTheUnionOfWhatStoresAndKubernetesWrite) {
  struct Case {
    const char* text;
    system_clock::time_point want;
  };
  for (const Case& c : {Case{"2026-11-28T10:00:00Z", k_base},                          // Kubernetes metav1.Time
                        Case{"2026-11-28T10:00:00.123456789Z", k_base + 123456789ns},  // Vault
                        Case{"2026-11-28T10:00:00.25Z", k_base + 250ms},
                        Case{"2026-11-28T10:00:00.1234567891Z", k_base + 123456789ns},  // past ns: dropped
                        Case{"2026-11-28T12:30:00+02:30", k_base},                      // offsets
                        Case{"2026-11-28T07:00:00-03:00", k_base}, Case{"2026-11-28t10:00:00z", k_base},
                        Case{"2026-11-28T23:59:60Z", sys_days{2026y / November / 29} + 0s}}) {  // leap second
    const auto got = parse_rfc3339(c.text);
    ASSERT_TRUE(got) << c.text;
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(Rfc3339Home, ASpaceSeparatorOnlyWhenTheCallerTakesIt) {
  EXPECT_FALSE(parse_rfc3339("2026-11-28 10:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-11-28 10:00:00Z", DateTimeSeparator::t_or_space), k_base);
}

TEST(Rfc3339Home, RejectsWhatTheGrammarDoesNotAllowNamingTheText) {
  for (const char* text : {"", "2026-11-28", "2026-11-28T10:00:00", "2026-11-28T10:00:00.Z", "2026-02-30T10:00:00Z",
                           "2026-11-28T24:00:00Z", "2026-11-28T10:60:00Z", "2026-11-28T10:00:61Z",
                           "2026-11-28T10:00:00+0200", "2026-11-28T10:00:00+24:00", "2026-11-28T10:00:00+02:60",
                           "2026-11-28T-1:00:00Z",  // a sign is not a digit
                           "-026-11-28T10:00:00Z", "2026-11-28T10:00:00Zjunk", "2026-11-28T10:00:00UTC"}) {
    const auto got = parse_rfc3339(text, DateTimeSeparator::t_or_space);
    ASSERT_FALSE(got) << text;
    EXPECT_EQ(got.error().code, ErrorCode::invalid_input);
    EXPECT_NE(got.error().message.find(text), std::string::npos) << got.error().message;
  }
}

// docs/fuzzing.md, kubeconfig finding 1: a year past 2262 overflowed system_clock's nanoseconds
// (undefined behaviour) instead of being refused.
TEST(Rfc3339Home, RefusesTimesSystemClockCannotHold) {
  for (const char* text : {"4925-12-04 12:00:00.5+01:00", "9999-12-31T23:59:59Z", "2263-01-01T00:00:00Z",
                           "0001-01-01T00:00:00Z", "1677-01-01T00:00:00Z"}) {
    const auto got = parse_rfc3339(text, DateTimeSeparator::t_or_space);
    ASSERT_FALSE(got) << text;
    EXPECT_EQ(got.error().code, ErrorCode::invalid_input);
  }
  EXPECT_TRUE(parse_rfc3339("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_rfc3339("1678-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace keyd
