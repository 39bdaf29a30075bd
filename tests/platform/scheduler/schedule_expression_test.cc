// Schedule expressions: what AWS accepts and rejects (with the message naming the problem),
// and the firing times they define in UTC and across DST changes in two zones. Expected
// instants are written out by hand as UTC ISO strings.
#include "platform/scheduler/schedule_expression.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace bakery::scheduler {
namespace {

using core::Clock;
using WallTime = Clock::WallTime;

// "2026-03-08T07:30:00Z" (test input, always well formed).
WallTime utc(std::string_view iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::sscanf(std::string(iso).c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s);
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return WallTime{day} + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

std::string iso(std::optional<WallTime> t) {
  if (!t) return "none";
  const auto seconds = std::chrono::floor<std::chrono::seconds>(*t);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss tod{seconds - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

ScheduleExpression parse(std::string_view text,
                         ExpressionDialect dialect = ExpressionDialect::kScheduler) {
  auto e = parseScheduleExpression(text, dialect);
  EXPECT_TRUE(e.ok()) << text << ": " << e.error().message();
  return e.ok() ? *e : *parseScheduleExpression("rate(1 minute)", dialect);
}

std::string errorOf(std::string_view text,
                    ExpressionDialect dialect = ExpressionDialect::kScheduler) {
  auto e = parseScheduleExpression(text, dialect);
  if (e.ok()) return "accepted as " + e->text();
  EXPECT_EQ(e.error().type(), "ValidationException");
  EXPECT_EQ(e.error().status(), 400);
  EXPECT_EQ(e.error().field(), "ScheduleExpression");
  return e.error().message();
}

TimeZone zone(std::string_view name) {
  auto z = TimeZone::named(name);
  EXPECT_TRUE(z.ok()) << name << ": " << z.error().message();
  return z.ok() ? *z : TimeZone();
}

// The next firing of a cron or at expression in `tz` after `after` (an ISO UTC string).
std::string next(std::string_view text, std::string_view after, const TimeZone& tz = {}) {
  return iso(nextFiring(parse(text), utc(after), tz, WallTime{}));
}

// ---------------------------------------------------------------------------------------
// Parsing: rate

TEST(ScheduleExpressionTest, RateTakesSingularUnitForOneAndPluralAbove) {
  const struct {
    std::string_view text;
    int minutes;
  } cases[] = {{"rate(1 minute)", 1},  {"rate(5 minutes)", 5}, {"rate(1 hour)", 60},
               {"rate(2 hours)", 120}, {"rate(1 day)", 1440},  {"rate(7 days)", 10080}};
  for (const auto& c : cases) {
    const ScheduleExpression e = parse(c.text);
    EXPECT_EQ(e.kind(), ExpressionKind::kRate) << c.text;
    EXPECT_EQ(e.ratePeriod(), std::chrono::minutes{c.minutes}) << c.text;
    EXPECT_EQ(e.text(), c.text);
  }
}

TEST(ScheduleExpressionTest, RateRejectsPluralForOneAndSingularAboveOne) {
  EXPECT_EQ(errorOf("rate(1 hours)"),
            "Invalid Schedule Expression rate(1 hours): a rate of 1 takes a singular unit "
            "(minute, hour or day)");
  EXPECT_EQ(errorOf("rate(5 hour)"),
            "Invalid Schedule Expression rate(5 hour): a rate above 1 takes a plural unit "
            "(minutes, hours or days)");
}

TEST(ScheduleExpressionTest, RateRejectsValuesThatAreNotPositiveIntegers) {
  EXPECT_EQ(errorOf("rate(0 minutes)"),
            "Invalid Schedule Expression rate(0 minutes): the rate value must be a positive "
            "integer");
  EXPECT_EQ(errorOf("rate(-5 minutes)"),
            "Invalid Schedule Expression rate(-5 minutes): the rate value must be a positive "
            "integer");
  EXPECT_EQ(errorOf("rate(1.5 hours)"),
            "Invalid Schedule Expression rate(1.5 hours): the rate value must be a positive "
            "integer");
  EXPECT_EQ(errorOf("rate(5 weeks)"),
            "Invalid Schedule Expression rate(5 weeks): the rate unit must be minute, minutes, "
            "hour, hours, day or days");
  EXPECT_EQ(errorOf("rate(5minutes)"),
            "Invalid Schedule Expression rate(5minutes): expected rate(value unit)");
}

TEST(ScheduleExpressionTest, RateTextIsCanonical) {
  EXPECT_EQ(parse("rate(  05   minutes )").text(), "rate(5 minutes)");
}

// ---------------------------------------------------------------------------------------
// Parsing: cron

TEST(ScheduleExpressionTest, CronAcceptsAwsGrammar) {
  for (std::string_view text : {
           "cron(0 10 * * ? *)",            // every day at 10:00
           "cron(15 12 * * ? *)",           //
           "cron(0 18 ? * MON-FRI *)",      // names
           "cron(0 8 1 * ? *)",             //
           "cron(0/15 * * * ? *)",          // increments
           "cron(*/5 * * * ? *)",           //
           "cron(0/10 * ? * MON-FRI *)",    //
           "cron(0/5 8-17 ? * MON-FRI *)",  //
           "cron(0 20-2 * * ? *)",          // wrapping hours
           "cron(0 9 ? * FRI-MON *)",       // wrapping weekdays
           "cron(0 9 L * ? *)",             // last day of month
           "cron(0 9 15W * ? *)",           // nearest weekday
           "cron(0 9 LW * ? *)",            // last weekday
           "cron(0 9 ? * 6L *)",            // last Friday
           "cron(0 9 ? * 3#2 *)",           // second Tuesday
           "cron(0 9 1,15,L * ? *)",        // lists
           "cron(0 9 ? jan-mar,dec sun 2026-2030)",
           "cron(0 0 1 1 ? 1970,2199)",
           "cron(0 0 1 1/3 ? 2030/5)",
           "cron(30 8 ? * 1-7 *)",
       }) {
    auto e = parseScheduleExpression(text, ExpressionDialect::kScheduler);
    EXPECT_TRUE(e.ok()) << text << ": " << e.error().message();
    auto rule = parseScheduleExpression(text, ExpressionDialect::kRule);
    EXPECT_TRUE(rule.ok()) << text << ": " << rule.error().message();
  }
}

TEST(ScheduleExpressionTest, CronTextIsCanonical) {
  const ScheduleExpression e = parse("cron(0/15  10-16 ? jan-Mar mon-fri *)");
  EXPECT_EQ(e.kind(), ExpressionKind::kCron);
  EXPECT_EQ(e.text(), "cron(0/15 10-16 ? JAN-MAR MON-FRI *)");
  EXPECT_EQ(e.ratePeriod(), std::chrono::minutes{0});
  EXPECT_EQ(parse(e.text()).text(), e.text());
}

TEST(ScheduleExpressionTest, CronRejectsBothDayFieldsSpecified) {
  EXPECT_EQ(errorOf("cron(0 12 * * * *)"),
            "Invalid Schedule Expression cron(0 12 * * * *): day-of-month and day-of-week "
            "cannot both be specified; one of them must be '?'");
  EXPECT_EQ(errorOf("cron(0 12 1 * MON *)"),
            "Invalid Schedule Expression cron(0 12 1 * MON *): day-of-month and day-of-week "
            "cannot both be specified; one of them must be '?'");
}

TEST(ScheduleExpressionTest, CronRejectsBothDayFieldsUnspecified) {
  EXPECT_EQ(errorOf("cron(0 12 ? * ? *)"),
            "Invalid Schedule Expression cron(0 12 ? * ? *): day-of-month and day-of-week "
            "cannot both be '?'");
}

TEST(ScheduleExpressionTest, CronRequiresSixFields) {
  EXPECT_EQ(errorOf("cron(0 12 * * ?)"),
            "Invalid Schedule Expression cron(0 12 * * ?): expected 6 fields (minutes hours "
            "day-of-month month day-of-week year), found 5");
  EXPECT_EQ(errorOf("cron(0 0 12 * * ? *)"),
            "Invalid Schedule Expression cron(0 0 12 * * ? *): expected 6 fields (minutes hours "
            "day-of-month month day-of-week year), found 7");
}

TEST(ScheduleExpressionTest, CronRejectsValuesOutOfRange) {
  const struct {
    std::string_view text;
    std::string_view detail;
  } cases[] = {
      {"cron(60 0 * * ? *)", "minutes: 60 is out of range 0-59"},
      {"cron(0 24 * * ? *)", "hours: 24 is out of range 0-23"},
      {"cron(0 0 32 * ? *)", "day-of-month: 32 is out of range 1-31"},
      {"cron(0 0 0 * ? *)", "day-of-month: 0 is out of range 1-31"},
      {"cron(0 0 1 13 ? *)", "month: 13 is out of range 1-12"},
      {"cron(0 0 ? * 8 *)", "day-of-week: 8 is out of range 1-7"},
      {"cron(0 0 ? * 0 *)", "day-of-week: 0 is out of range 1-7"},
      {"cron(0 0 1 * ? 1969)", "year: 1969 is out of range 1970-2199"},
      {"cron(0 0 1 * ? 2026-2200)", "year: 2200 is out of range 1970-2199"},
      {"cron(0 0 1 * ? 99999999999)", "year: 99999999999 is out of range 1970-2199"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(errorOf(c.text),
              "Invalid Schedule Expression " + std::string(c.text) + ": " + std::string(c.detail));
  }
}

TEST(ScheduleExpressionTest, CronAllowsOnlyOneHashExpression) {
  EXPECT_EQ(errorOf("cron(0 0 ? * 3#1,6#3 *)"),
            "Invalid Schedule Expression cron(0 0 ? * 3#1,6#3 *): day-of-week: only one '#' "
            "expression is allowed");
  EXPECT_EQ(errorOf("cron(0 0 ? * 3#6 *)"),
            "Invalid Schedule Expression cron(0 0 ? * 3#6 *): day-of-week: the week in '3#6' "
            "must be between 1 and 5");
}

TEST(ScheduleExpressionTest, CronRejectsWildcardsWhereAwsDoesNot) {
  const struct {
    std::string_view text;
    std::string_view detail;
  } cases[] = {
      {"cron(? 0 * * ? *)", "minutes: '?' is allowed only in day-of-month and day-of-week"},
      {"cron(0 0 ?,1 * ? *)", "day-of-month: '?' must be the whole field"},
      {"cron(0 0 ? * 1/2 *)", "day-of-week: '/' is not allowed"},
      {"cron(L 0 * * ? *)", "minutes: 'L' is not a valid value"},
      {"cron(0 0 ? * 2W *)", "day-of-week: '2W' is not a valid value"},
      {"cron(0 0 ? MON * *)", "month: 'MON' is not a valid value"},
      {"cron(0 0 ? * MONDAY *)", "day-of-week: 'MONDAY' is not a valid value"},
      {"cron(*/60 * * * ? *)", "minutes: the increment in '*/60' must be between 1 and 59"},
      {"cron(0/0 * * * ? *)", "minutes: the increment in '0/0' must be between 1 and 59"},
      {"cron(0 0 1-5W * ? *)", "day-of-month: '1-5W' is not a valid value"},
      {"cron(0 0 1,,2 * ? *)", "day-of-month: empty list element"},
      {"cron(0, 0 * * ? *)", "minutes: empty list element"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(errorOf(c.text),
              "Invalid Schedule Expression " + std::string(c.text) + ": " + std::string(c.detail));
  }
}

// ---------------------------------------------------------------------------------------
// Parsing: at, dialects, limits

TEST(ScheduleExpressionTest, AtTakesLocalDateAndTime) {
  const ScheduleExpression e = parse("at(2026-05-01T09:30:00)");
  EXPECT_EQ(e.kind(), ExpressionKind::kAt);
  EXPECT_EQ(e.text(), "at(2026-05-01T09:30:00)");
}

TEST(ScheduleExpressionTest, AtRejectsMalformedAndImpossibleTimes) {
  EXPECT_EQ(errorOf("at(2026-5-1T09:30:00)"),
            "Invalid Schedule Expression at(2026-5-1T09:30:00): expected "
            "at(yyyy-mm-ddThh:mm:ss)");
  EXPECT_EQ(errorOf("at(2026-05-01 09:30:00)"),
            "Invalid Schedule Expression at(2026-05-01 09:30:00): expected "
            "at(yyyy-mm-ddThh:mm:ss)");
  EXPECT_EQ(errorOf("at(2026-02-29T00:00:00)"),
            "Invalid Schedule Expression at(2026-02-29T00:00:00): 2026-02-29 is not a valid "
            "date");
  EXPECT_EQ(errorOf("at(2026-02-28T24:00:00)"),
            "Invalid Schedule Expression at(2026-02-28T24:00:00): 24:00:00 is not a valid time "
            "of day");
}

TEST(ScheduleExpressionTest, RulesRejectAtWithTheirOwnMessage) {
  EXPECT_EQ(errorOf("at(2026-05-01T09:30:00)", ExpressionDialect::kRule),
            "Parameter ScheduleExpression is not valid. at(2026-05-01T09:30:00): at() "
            "expressions are supported only by EventBridge Scheduler");
  EXPECT_EQ(errorOf("rate(1 hours)", ExpressionDialect::kRule),
            "Parameter ScheduleExpression is not valid. rate(1 hours): a rate of 1 takes a "
            "singular unit (minute, hour or day)");
}

TEST(ScheduleExpressionTest, RejectsUnknownForms) {
  EXPECT_EQ(errorOf("every 5 minutes"),
            "Invalid Schedule Expression every 5 minutes: expected at(yyyy-mm-ddThh:mm:ss), "
            "rate(value unit) or cron(fields)");
  EXPECT_EQ(errorOf("Cron(0 12 * * ? *)", ExpressionDialect::kRule),
            "Parameter ScheduleExpression is not valid. Cron(0 12 * * ? *): expected "
            "rate(value unit) or cron(fields)");
  EXPECT_EQ(errorOf("rate(5 minutes"),
            "Invalid Schedule Expression rate(5 minutes: expected at(yyyy-mm-ddThh:mm:ss), "
            "rate(value unit) or cron(fields)");
}

TEST(ScheduleExpressionTest, RejectsTextLongerThan256Characters) {
  const std::string longest = "cron(0 12 * * ? " + std::string(238, ' ') + "*)";
  ASSERT_EQ(longest.size(), 256u);
  EXPECT_TRUE(parseScheduleExpression(longest, ExpressionDialect::kScheduler).ok());
  const std::string tooLong = "cron(0 12 * * ? " + std::string(239, ' ') + "*)";
  EXPECT_EQ(errorOf(tooLong),
            "1 validation error detected: Value at 'scheduleExpression' failed to satisfy "
            "constraint: Member must have length less than or equal to 256");
  EXPECT_EQ(errorOf(""),
            "1 validation error detected: Value at 'scheduleExpression' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
}

// ---------------------------------------------------------------------------------------
// Time zones

TEST(TimeZoneTest, DefaultsToUtc) {
  const TimeZone tz;
  EXPECT_TRUE(tz.isUtc());
  EXPECT_EQ(tz.name(), "UTC");
  auto named = TimeZone::named("UTC");
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(named->isUtc());
}

TEST(TimeZoneTest, FindsIanaZonesByExactName) {
  EXPECT_EQ(zone("America/New_York").name(), "America/New_York");
  EXPECT_FALSE(zone("Europe/Berlin").isUtc());
}

TEST(TimeZoneTest, RejectsUnknownNames) {
  for (std::string_view name : {"Mars/Olympus_Mons", "america/new_york", "localtime", "EST+5"}) {
    auto tz = TimeZone::named(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.error().type(), "ValidationException");
    EXPECT_EQ(tz.error().field(), "ScheduleExpressionTimezone");
    EXPECT_EQ(tz.error().message(), "Invalid ScheduleExpressionTimezone " + std::string(name) +
                                        ": not a time zone of the IANA tz database");
  }
  auto tooLong = TimeZone::named(std::string(51, 'A'));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_EQ(tooLong.error().message(),
            "1 validation error detected: Value at 'scheduleExpressionTimezone' failed to "
            "satisfy constraint: Member must have length less than or equal to 50");
}

// ---------------------------------------------------------------------------------------
// Firing times: rate

TEST(NextFiringTest, RateFiresAtAnchorPlusWholePeriods) {
  const ScheduleExpression e = parse("rate(5 minutes)");
  const WallTime anchor = utc("2026-01-01T00:00:00Z");
  EXPECT_EQ(iso(nextFiring(e, utc("2026-01-01T00:12:00Z"), {}, anchor)), "2026-01-01T00:15:00Z");
  // Strictly after: a firing instant itself yields the one after it.
  EXPECT_EQ(iso(nextFiring(e, utc("2026-01-01T00:15:00Z"), {}, anchor)), "2026-01-01T00:20:00Z");
  EXPECT_EQ(
      iso(nextFiring(e, utc("2026-01-01T00:14:59Z") + std::chrono::milliseconds{999}, {}, anchor)),
      "2026-01-01T00:15:00Z");
  // Before the anchor, the anchor is the first firing.
  EXPECT_EQ(iso(nextFiring(e, utc("2025-12-31T23:00:00Z"), {}, anchor)), "2026-01-01T00:00:00Z");
}

TEST(NextFiringTest, RateKeepsTheAnchorsSeconds) {
  const ScheduleExpression e = parse("rate(1 hour)");
  const WallTime anchor = utc("2026-01-01T00:00:17Z") + std::chrono::milliseconds{250};
  const auto fired = nextFiring(e, utc("2026-01-01T05:30:00Z"), {}, anchor);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, utc("2026-01-01T06:00:17Z") + std::chrono::milliseconds{250});
}

TEST(NextFiringTest, RateOfOneDayIsTwentyFourHoursAcrossDst) {
  // New York springs forward on 2026-03-08; the rate ignores the zone's wall clock.
  const ScheduleExpression e = parse("rate(1 day)");
  const WallTime anchor = utc("2026-03-07T17:00:00Z");  // 12:00 EST
  EXPECT_EQ(iso(nextFiring(e, anchor, zone("America/New_York"), anchor)),
            "2026-03-08T17:00:00Z");  // 13:00 EDT
}

// ---------------------------------------------------------------------------------------
// Firing times: cron in UTC

TEST(NextFiringTest, CronFiresAtWholeMinutesStrictlyAfter) {
  EXPECT_EQ(next("cron(* * * * ? *)", "2026-01-01T10:00:30Z"), "2026-01-01T10:01:00Z");
  EXPECT_EQ(next("cron(* * * * ? *)", "2026-01-01T10:00:00Z"), "2026-01-01T10:01:00Z");
  EXPECT_EQ(next("cron(15 10 * * ? *)", "2026-01-01T10:15:00Z"), "2026-01-02T10:15:00Z");
}

TEST(NextFiringTest, CronIncrementsStartFromTheirBase) {
  EXPECT_EQ(next("cron(0/15 * * * ? *)", "2026-01-01T10:07:30Z"), "2026-01-01T10:15:00Z");
  EXPECT_EQ(next("cron(0/15 * * * ? *)", "2026-01-01T10:45:00Z"), "2026-01-01T11:00:00Z");
  EXPECT_EQ(next("cron(5/20 * * * ? *)", "2026-01-01T10:46:00Z"), "2026-01-01T11:05:00Z");
  EXPECT_EQ(next("cron(*/20 9 * * ? *)", "2026-01-01T09:45:00Z"), "2026-01-02T09:00:00Z");
  EXPECT_EQ(next("cron(0 0 1 1/5 ? *)", "2026-02-01T00:00:00Z"), "2026-06-01T00:00:00Z");
}

TEST(NextFiringTest, CronHourRangeWrapsPastMidnight) {
  EXPECT_EQ(next("cron(0 20-2 * * ? *)", "2026-01-01T02:30:00Z"), "2026-01-01T20:00:00Z");
  EXPECT_EQ(next("cron(0 20-2 * * ? *)", "2026-01-01T23:30:00Z"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(next("cron(0 22-2/2 * * ? *)", "2026-01-01T22:00:00Z"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(next("cron(0 22-2/2 * * ? *)", "2026-01-02T00:00:00Z"), "2026-01-02T02:00:00Z");
}

TEST(NextFiringTest, CronWeekdayRangeWrapsPastSaturday) {
  // 2026-01-01 is a Thursday.
  EXPECT_EQ(next("cron(0 12 ? * FRI-MON *)", "2026-01-01T00:00:00Z"), "2026-01-02T12:00:00Z");
  EXPECT_EQ(next("cron(0 12 ? * FRI-MON *)", "2026-01-05T12:00:00Z"), "2026-01-09T12:00:00Z");
  EXPECT_EQ(next("cron(0 12 ? * 2-6 *)", "2026-01-02T12:00:00Z"), "2026-01-05T12:00:00Z");
}

TEST(NextFiringTest, CronLastDayOfMonth) {
  EXPECT_EQ(next("cron(0 0 L * ? *)", "2026-02-01T00:00:00Z"), "2026-02-28T00:00:00Z");
  EXPECT_EQ(next("cron(0 0 L * ? *)", "2028-02-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(next("cron(0 0 L * ? *)", "2026-04-30T00:00:00Z"), "2026-05-31T00:00:00Z");
}

TEST(NextFiringTest, CronNearestWeekdayStaysInTheMonth) {
  // 2026-08-15 is a Saturday: the nearest weekday is Friday the 14th.
  EXPECT_EQ(next("cron(0 9 15W * ? *)", "2026-08-01T00:00:00Z"), "2026-08-14T09:00:00Z");
  // 2026-03-15 is a Sunday: Monday the 16th.
  EXPECT_EQ(next("cron(0 9 15W * ? *)", "2026-03-01T00:00:00Z"), "2026-03-16T09:00:00Z");
  // 2026-08-01 is a Saturday: not Friday July 31st but Monday the 3rd.
  EXPECT_EQ(next("cron(0 9 1W * ? *)", "2026-07-31T00:00:00Z"), "2026-08-03T09:00:00Z");
  // 2026-05-31 is a Sunday: not Monday June 1st but Friday the 29th. April has no 31st.
  EXPECT_EQ(next("cron(0 9 31W * ? *)", "2026-04-01T00:00:00Z"), "2026-05-29T09:00:00Z");
  // A weekday is its own nearest weekday: 2026-03-31 is a Tuesday.
  EXPECT_EQ(next("cron(0 9 31W * ? *)", "2026-03-01T00:00:00Z"), "2026-03-31T09:00:00Z");
}

TEST(NextFiringTest, CronLastWeekdayOfMonth) {
  // 2026-02-28 is a Saturday, 2026-05-31 a Sunday, 2026-03-31 a Tuesday.
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2026-02-01T00:00:00Z"), "2026-02-27T18:00:00Z");
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2026-03-01T00:00:00Z"), "2026-03-31T18:00:00Z");
  EXPECT_EQ(next("cron(0 18 LW * ? *)", "2026-05-01T00:00:00Z"), "2026-05-29T18:00:00Z");
}

TEST(NextFiringTest, CronLastGivenWeekdayOfMonth) {
  // Fridays of January 2026: 2, 9, 16, 23, 30. Of February: 6 ... 27.
  EXPECT_EQ(next("cron(0 10 ? * 6L *)", "2026-01-01T00:00:00Z"), "2026-01-30T10:00:00Z");
  EXPECT_EQ(next("cron(0 10 ? * FRIL *)", "2026-01-30T10:00:00Z"), "2026-02-27T10:00:00Z");
  // `L` alone in day-of-week is the last day of the week, Saturday.
  EXPECT_EQ(next("cron(0 10 ? * L *)", "2026-01-01T00:00:00Z"), "2026-01-03T10:00:00Z");
}

TEST(NextFiringTest, CronNthWeekdayOfMonth) {
  // Tuesdays of January 2026: 6, 13; of February: 3, 10.
  EXPECT_EQ(next("cron(0 10 ? * 3#2 *)", "2026-01-01T00:00:00Z"), "2026-01-13T10:00:00Z");
  EXPECT_EQ(next("cron(0 10 ? * TUE#2 *)", "2026-01-13T10:00:00Z"), "2026-02-10T10:00:00Z");
  // A fifth Friday exists only in some months: January 2026 (30th), then May (29th).
  EXPECT_EQ(next("cron(0 10 ? * 6#5 *)", "2026-01-31T00:00:00Z"), "2026-05-29T10:00:00Z");
}

TEST(NextFiringTest, CronYearFieldEndsTheSchedule) {
  EXPECT_EQ(next("cron(0 0 1 1 ? 2030)", "2026-06-01T00:00:00Z"), "2030-01-01T00:00:00Z");
  EXPECT_EQ(next("cron(0 0 1 1 ? 2030)", "2030-01-01T00:00:00Z"), "none");
  EXPECT_EQ(next("cron(0 0 1 1 ? 2026-2030/2)", "2026-01-01T00:00:00Z"), "2028-01-01T00:00:00Z");
  EXPECT_EQ(next("cron(30 8 1 JAN ? 2199)", "2026-01-01T00:00:00Z"), "2199-01-01T08:30:00Z");
  EXPECT_EQ(next("cron(59 23 L 12 ? *)", "2199-12-31T23:59:00Z"), "none");
}

TEST(NextFiringTest, CronFebruary29thFiresInLeapYearsOnly) {
  EXPECT_EQ(next("cron(0 0 29 2 ? *)", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  // 2100 is not a leap year.
  EXPECT_EQ(next("cron(0 12 29 FEB ? 2097-2199)", "2026-01-01T00:00:00Z"), "2104-02-29T12:00:00Z");
  EXPECT_EQ(next("cron(0 0 30 2 ? *)", "2026-01-01T00:00:00Z"), "none");
}

TEST(NextFiringTest, CronWalksSparseSchedulesFieldByField) {
  // 2196 is the last leap year of the range; 2199-12-31 is the last day. Walking every
  // firing of a once-every-four-years schedule stays cheap.
  const ScheduleExpression e = parse("cron(0 0 29 2 ? *)");
  WallTime t = utc("1970-01-01T00:00:00Z");
  int count = 0;
  while (auto fired = nextFiring(e, t, {}, WallTime{})) {
    t = *fired;
    ++count;
  }
  EXPECT_EQ(count, 56);  // 1972, 1976, ..., 2196 (57 years) without 2100
  EXPECT_EQ(iso(t), "2196-02-29T00:00:00Z");
}

// ---------------------------------------------------------------------------------------
// Firing times: cron and at in time zones

TEST(NextFiringTest, NewYorkSpringForwardSkipsTheMissingTime) {
  // 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z): 02:30 does not exist that day.
  const TimeZone ny = zone("America/New_York");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2026-03-07T05:00:00Z", ny), "2026-03-07T07:30:00Z");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2026-03-07T07:30:00Z", ny), "2026-03-09T06:30:00Z");
  // Times around the gap keep firing, on the new offset after it.
  EXPECT_EQ(next("cron(30 1,3 * * ? *)", "2026-03-08T06:00:00Z", ny), "2026-03-08T06:30:00Z");
  EXPECT_EQ(next("cron(30 1,3 * * ? *)", "2026-03-08T06:30:00Z", ny), "2026-03-08T07:30:00Z");
}

TEST(NextFiringTest, NewYorkFallBackFiresTheRepeatedTimeOnce) {
  // 2026-11-01 02:00 EDT becomes 01:00 EST (06:00Z): 01:30 happens at 05:30Z and 06:30Z.
  const TimeZone ny = zone("America/New_York");
  EXPECT_EQ(next("cron(30 1 * * ? *)", "2026-10-31T12:00:00Z", ny), "2026-11-01T05:30:00Z");
  EXPECT_EQ(next("cron(30 1 * * ? *)", "2026-11-01T05:30:00Z", ny), "2026-11-02T06:30:00Z");
  // Asked from inside the repeated hour, the second 01:30 is not a firing either.
  EXPECT_EQ(next("cron(30 1 * * ? *)", "2026-11-01T06:10:00Z", ny), "2026-11-02T06:30:00Z");
  // An hourly schedule skips the repeated 01:15 EST: 01:15 EDT, then 02:15 EST.
  EXPECT_EQ(next("cron(15 * * * ? *)", "2026-11-01T05:15:00Z", ny), "2026-11-01T07:15:00Z");
}

TEST(NextFiringTest, BerlinSpringForwardSkipsTheMissingTime) {
  // 2026-03-29 02:00 CET becomes 03:00 CEST (01:00Z).
  const TimeZone berlin = zone("Europe/Berlin");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2026-03-28T02:00:00Z", berlin), "2026-03-30T00:30:00Z");
  EXPECT_EQ(next("cron(0 9 * * ? *)", "2026-03-28T12:00:00Z", berlin), "2026-03-29T07:00:00Z");
}

TEST(NextFiringTest, BerlinFallBackFiresTheRepeatedTimeOnce) {
  // 2026-10-25 03:00 CEST becomes 02:00 CET (01:00Z): 02:30 happens at 00:30Z and 01:30Z.
  const TimeZone berlin = zone("Europe/Berlin");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2026-10-24T12:00:00Z", berlin), "2026-10-25T00:30:00Z");
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2026-10-25T00:30:00Z", berlin), "2026-10-26T01:30:00Z");
}

TEST(NextFiringTest, ZonesKeepTheirDstRulesPastTheListedTransitions) {
  // Zone files list transitions up to 2037 at most; later years follow the file's rule.
  const TimeZone ny = zone("America/New_York");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2040-07-01T00:00:00Z", ny), "2040-07-01T16:00:00Z");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2040-01-15T00:00:00Z", ny), "2040-01-15T17:00:00Z");
  // 2050-03-13 is New York's spring-forward Sunday (second Sunday of March).
  EXPECT_EQ(next("cron(30 2 * * ? *)", "2050-03-12T12:00:00Z", ny), "2050-03-14T06:30:00Z");
  // Southern hemisphere: Sydney is on AEDT (+11) in January and AEST (+10) in July.
  const TimeZone sydney = zone("Australia/Sydney");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2050-01-14T12:00:00Z", sydney), "2050-01-15T01:00:00Z");
  EXPECT_EQ(next("cron(0 12 * * ? *)", "2050-07-14T12:00:00Z", sydney), "2050-07-15T02:00:00Z");
}

TEST(NextFiringTest, AtFiresOnceAtItsLocalTime) {
  const TimeZone ny = zone("America/New_York");
  // 09:00 EDT.
  EXPECT_EQ(next("at(2026-07-04T09:00:00)", "2026-07-01T00:00:00Z", ny), "2026-07-04T13:00:00Z");
  EXPECT_EQ(next("at(2026-07-04T09:00:00)", "2026-07-04T13:00:00Z", ny), "none");
  EXPECT_EQ(next("at(2026-07-04T09:00:45)", "2026-07-04T13:00:00Z", ny), "2026-07-04T13:00:45Z");
  // The same text in UTC and in Berlin (CEST, +2).
  EXPECT_EQ(next("at(2026-07-04T09:00:00)", "2026-07-01T00:00:00Z"), "2026-07-04T09:00:00Z");
  EXPECT_EQ(next("at(2026-07-04T09:00:00)", "2026-07-01T00:00:00Z", zone("Europe/Berlin")),
            "2026-07-04T07:00:00Z");
}

TEST(NextFiringTest, AtInDstChangesFollowsTheCronRules) {
  const TimeZone ny = zone("America/New_York");
  EXPECT_EQ(next("at(2026-03-08T02:30:00)", "2026-03-01T00:00:00Z", ny), "none");
  EXPECT_EQ(next("at(2026-11-01T01:30:00)", "2026-10-01T00:00:00Z", ny), "2026-11-01T05:30:00Z");
}

}  // namespace
}  // namespace bakery::scheduler
