#include "keyd/domain/schedule.hpp"

#include <gtest/gtest.h>

namespace keyd::domain {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2026-11-30 is a Monday.
TimePoint at(int day_of_november_or_december, int hour, int minute, int second = 0) {
  const int d = day_of_november_or_december;
  const year_month_day date = d <= 30 ? 2026y / November / day{static_cast<unsigned>(d)}
                                      : 2026y / December / day{static_cast<unsigned>(d - 30)};
  return sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
}

RotationWindow window(std::string_view text) {
  auto parsed = RotationWindow::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : *RotationWindow::parse("00:00-24:00");
}

TEST(RotationWindow, AcceptsTheDocumentedForms) {
  for (const char* text : {"02:00-04:00", "Mon-Fri 01:00-05:00", "Mon-Fri 01:00-05:00; Sat,Sun 00:00-24:00",
                           "fri 22:00-02:00", "Fri-Mon 00:00-01:00", "MON,wed,Fri-Sat 12:30-13:00",
                           "  Tue   03:00-03:01  ", "Mon - Fri 02:00-04:00", "00:00-24:00", "23:59-24:00"}) {
    EXPECT_TRUE(RotationWindow::parse(text).has_value()) << text;
  }
}

TEST(RotationWindow, RejectsMalformedEntriesNamingThem) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{"   ", "empty"}, Case{"Mon", "HH:MM-HH:MM"}, Case{"02:00", "HH:MM-HH:MM"},
        Case{"2:00-4:00", "HH:MM-HH:MM"}, Case{"02:00-04:60", "HH:MM-HH:MM"}, Case{"24:00-02:00", "HH:MM-HH:MM"},
        Case{"02:00-24:01", "HH:MM-HH:MM"}, Case{"25:00-26:00", "HH:MM-HH:MM"},
        Case{"Mun 02:00-04:00", "expected days"}, Case{"Monday 02:00-04:00", "expected days"},
        Case{"Mon,,Tue 02:00-04:00", "expected days"}, Case{"02:00-02:00", "equal"},
        Case{"02:00-04:00;", "empty entry"}, Case{"02:00-04:00;;Mon 01:00-02:00", "empty entry"},
        Case{"02:00-04:00 Mon", "expected days"}, Case{"0a:00-04:00", "HH:MM-HH:MM"},
        Case{"+2:00-04:00", "HH:MM-HH:MM"}}) {
    const auto parsed = RotationWindow::parse(c.text);
    ASSERT_FALSE(parsed.has_value()) << "'" << c.text << "'";
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
    EXPECT_NE(parsed.error().message.find(c.mentions), std::string::npos) << c.text << ": " << parsed.error().message;
  }
}

TEST(RotationWindow, ContainsStartInclusiveEndExclusive) {
  const RotationWindow w = window("Mon-Fri 02:00-04:00");
  struct Case {
    TimePoint t;
    bool want;
    const char* why;
  };
  for (const Case& c : {Case{at(30, 2, 0), true, "Monday at the start"}, Case{at(30, 3, 59, 59), true, "inside"},
                        Case{at(30, 4, 0), false, "end is exclusive"}, Case{at(30, 1, 59, 59), false, "just before"},
                        Case{at(28, 3, 0), false, "Saturday"}, Case{at(29, 3, 0), false, "Sunday"},
                        Case{at(27, 3, 0), true, "Friday"}, Case{at(30, 2, 0) - 1ns, false, "one nanosecond early"}}) {
    EXPECT_EQ(w.contains(c.t), c.want) << c.why;
  }
}

TEST(RotationWindow, RangesCrossingMidnightBelongToTheirStartDay) {
  const RotationWindow w = window("Fri 22:00-02:00");
  EXPECT_TRUE(w.contains(at(27, 22, 0)));    // Friday night
  EXPECT_TRUE(w.contains(at(28, 1, 59)));    // Saturday early morning: still Friday's range
  EXPECT_FALSE(w.contains(at(28, 2, 0)));    // its end
  EXPECT_FALSE(w.contains(at(27, 1, 0)));    // Friday early morning belongs to Thursday's (absent) range
  EXPECT_FALSE(w.contains(at(28, 22, 30)));  // Saturday night
}

TEST(RotationWindow, DayRangesWrapAroundTheWeek) {
  const RotationWindow w = window("Fri-Mon 10:00-11:00");
  for (int d : {27, 28, 29, 30}) EXPECT_TRUE(w.contains(at(d, 10, 30))) << d;  // Fri Sat Sun Mon
  for (int d : {24, 25, 26}) EXPECT_FALSE(w.contains(at(d, 10, 30))) << d;     // Tue Wed Thu
}

TEST(RotationWindow, NextOpenIsTheEarliestInstantInside) {
  const RotationWindow w = window("Mon-Fri 02:00-04:00; Sat 12:00-24:00");
  struct Case {
    TimePoint from;
    TimePoint want;
    const char* why;
  };
  for (const Case& c :
       {Case{at(30, 3, 0), at(30, 3, 0), "inside: now"}, Case{at(30, 1, 0), at(30, 2, 0), "before today's range"},
        Case{at(30, 4, 0), at(31, 2, 0), "after today's range: Tuesday"},
        Case{at(27, 5, 0), at(28, 12, 0), "Friday after the range: Saturday noon"},
        Case{at(28, 23, 59), at(28, 23, 59), "Saturday until midnight"},
        Case{at(29, 0, 0), at(30, 2, 0), "Sunday: Monday"}, Case{at(28, 0, 0), at(28, 12, 0), "Saturday morning"}}) {
    EXPECT_EQ(w.next_open(c.from), c.want) << c.why;
  }
}

TEST(RotationWindow, NextOpenFindsAWeeklyRangeUpToSevenDaysAhead) {
  const RotationWindow w = window("Wed 03:00-03:30");
  EXPECT_EQ(w.next_open(at(25, 3, 30)), at(32, 3, 0));  // Wednesday just after the end: next Wednesday
  EXPECT_EQ(w.next_open(at(25, 3, 29)), at(25, 3, 29));
}

TEST(RotationWindow, NextOpenInsideARangeThatStartedYesterday) {
  const RotationWindow w = window("Sun 23:00-01:00");
  EXPECT_EQ(w.next_open(at(30, 0, 30)), at(30, 0, 30));  // Monday 00:30 is in Sunday's range
  EXPECT_EQ(w.next_open(at(30, 1, 0)), at(36, 23, 0));   // then next Sunday
}

TEST(RotationSchedule, NoMaxAgeMeansNoSchedule) {
  EXPECT_FALSE(rotation_schedule(at(1, 0, 0), RotationPolicy{}, at(30, 0, 0)).has_value());
}

TEST(RotationSchedule, DueAtCreatedPlusMaxAgeWithoutWindow) {
  const RotationPolicy policy{720h, std::nullopt};
  const TimePoint created = at(1, 10, 0);
  const auto before = rotation_schedule(created, policy, at(20, 0, 0));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->due, at(31, 10, 0));
  EXPECT_EQ(before->next, at(31, 10, 0));
  EXPECT_FALSE(before->rotate_now(at(31, 10, 0) - 1ns));
  EXPECT_TRUE(before->rotate_now(at(31, 10, 0)));
  // Overdue (the daemon was down): rotate now, the due time stays what it was.
  const auto late = rotation_schedule(created, policy, at(33, 0, 0));
  EXPECT_EQ(late->due, at(31, 10, 0));
  EXPECT_EQ(late->next, at(33, 0, 0));
  EXPECT_TRUE(late->rotate_now(at(33, 0, 0)));
}

TEST(RotationSchedule, WaitsForTheWindowAfterTheDueTime) {
  const RotationPolicy policy{24h, window("Mon-Fri 02:00-04:00")};
  struct Case {
    TimePoint created;
    TimePoint now;
    TimePoint want_next;
    const char* why;
  };
  for (const Case& c : {Case{at(29, 3, 0), at(29, 12, 0), at(30, 3, 0), "due Monday 03:00, inside: then"},
                        Case{at(29, 5, 0), at(29, 12, 0), at(31, 2, 0), "due Monday 05:00: Tuesday 02:00"},
                        Case{at(26, 3, 0), at(27, 12, 0), at(30, 2, 0), "due Friday 03:00, now Friday noon: Monday"},
                        Case{at(26, 3, 0), at(27, 3, 30), at(27, 3, 30), "due and inside: now"}}) {
    const auto s = rotation_schedule(c.created, policy, c.now);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->due, c.created + 24h) << c.why;
    EXPECT_EQ(s->next, c.want_next) << c.why;
  }
}

TEST(RotationSchedule, NeverStartsOutsideTheWindowMinuteByMinute) {
  // Walk a week minute by minute: rotate_now is true exactly when due and inside the window.
  const RotationWindow w = window("Tue,Thu 01:15-01:45; Sat 23:50-00:10");
  const RotationPolicy policy{36h, w};
  const TimePoint created = at(22, 7, 0);  // Sunday; due Monday 19:00
  for (TimePoint now = at(22, 0, 0); now < at(30, 0, 0); now += 1min) {
    const auto s = rotation_schedule(created, policy, now);
    ASSERT_TRUE(s);
    const bool want = now >= created + 36h && w.contains(now);
    ASSERT_EQ(s->rotate_now(now), want) << (now - at(22, 0, 0)) / 1min << " minutes in";
    ASSERT_GE(s->next, now);
    ASSERT_TRUE(w.contains(s->next));
  }
}

TEST(Rfc3339, ParsesWhatStoresWrite) {
  struct Case {
    const char* text;
    TimePoint want;
  };
  for (const Case& c :
       {Case{"2026-11-30T02:00:00Z", at(30, 2, 0)}, Case{"2026-11-30T02:00:00.123456789Z", at(30, 2, 0) + 123456789ns},
        Case{"2026-11-30T02:00:00.5Z", at(30, 2, 0) + 500ms},
        Case{"2026-11-30T02:00:00.1234567891234Z", at(30, 2, 0) + 123456789ns},
        Case{"2026-11-30T04:30:00+02:30", at(30, 2, 0)}, Case{"2026-11-29T23:00:00-03:00", at(30, 2, 0)},
        Case{"2026-11-30t02:00:00z", at(30, 2, 0)}}) {
    const auto parsed = parse_rfc3339(c.text);
    ASSERT_TRUE(parsed) << c.text;
    EXPECT_EQ(*parsed, c.want) << c.text;
  }
}

TEST(Rfc3339, RejectsEverythingElse) {
  for (const char* text :
       {"", "2026-11-30", "2026-11-30T02:00:00", "2026-11-30 02:00:00Z", "2026-02-30T02:00:00Z", "2026-13-01T02:00:00Z",
        "2026-11-30T24:00:00Z", "2026-11-30T02:00:00.Z", "2026-11-30T02:00:00+0200", "2026-11-30T02:00:00UTC",
        "2026-11-30T02:00:00Zjunk", "2026-11-3xT02:00:00Z"}) {
    const auto parsed = parse_rfc3339(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find(text), std::string::npos);
  }
}

}  // namespace
}  // namespace keyd::domain
