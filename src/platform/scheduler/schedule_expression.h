// Schedule expressions of EventBridge Scheduler (`at(...)`, `rate(...)`, `cron(...)`) and of
// EventBridge scheduled rules (`rate(...)`, `cron(...)`): parsing with the validation AWS
// applies, and the firing times they define.
//
// Parsing reports every problem as a ValidationException (field `ScheduleExpression`) whose
// message starts with AWS's text for the dialect ("Invalid Schedule Expression <text>" for
// Scheduler, "Parameter ScheduleExpression is not valid." for rules) and then names what is
// wrong. The cron grammar is AWS's six-field one: minutes hours day-of-month month
// day-of-week year, with `, - * ? / L W #`, names (JAN-DEC, SUN-SAT, any case), wrapping
// ranges, and exactly one of day-of-month / day-of-week set to `?`. Where AWS documents no
// limit this library sets one: a rate value is at most 999999999, an `at` year is 1970-2199
// like cron's, `W` and `L` may be list items but not range ends, and `nW` skips months
// without day n.
//
// Firing times: `rate` counts absolute elapsed time from an anchor the caller keeps (so
// rate(1 day) is 24 h even across a DST change); `cron` and `at` are read as wall-clock time
// in a TimeZone. A local time that does not exist (clocks jump forward) is skipped; one that
// occurs twice (clocks fall back) fires once, at its first occurrence. Computing the next
// firing advances field by field (year, month, day, hour, minute), never minute by minute, so
// sparse schedules (`cron(0 0 29 2 ? *)`, a single year) cost microseconds.
//
// Thread-safety: ScheduleExpression and TimeZone are immutable values, cheap to copy (shared
// state is const); use them from any thread. TimeZone::named reads the system time zone
// database (/usr/share/zoneinfo, Debian's `tzdata`); do it when a schedule is created, not
// per firing.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace bakery::scheduler {

namespace detail {
struct ZoneRules;
struct CronSpec;
class Parser;
}  // namespace detail

class ScheduleExpression;

// Which API the expression was given to: Scheduler accepts at/rate/cron, rules rate/cron.
enum class ExpressionDialect { kScheduler, kRule };

enum class ExpressionKind { kAt, kRate, kCron };

// Longest accepted expression text, in bytes (both APIs' model constraint).
inline constexpr std::size_t kMaxScheduleExpressionLength = 256;

// An IANA time zone (`America/New_York`) or UTC, the default. Zones from the tz database
// are followed past the last transition their file lists by the file's POSIX rule, so DST
// keeps applying up to the cron horizon (2199).
class TimeZone {
 public:
  // UTC.
  TimeZone();

  // The zone of that IANA name (case-sensitive, as the tz database spells it); "UTC" needs
  // no database. ValidationException "Invalid ScheduleExpressionTimezone <name>: ..." for a
  // name the database does not hold; InternalServerException when the database is missing.
  [[nodiscard]] static core::Result<TimeZone> named(std::string_view iana);

  const std::string& name() const;
  bool isUtc() const { return rules_ == nullptr; }

 private:
  explicit TimeZone(std::shared_ptr<const detail::ZoneRules> rules);

  // Null for UTC.
  std::shared_ptr<const detail::ZoneRules> rules_;

  friend std::optional<core::Clock::WallTime> nextFiring(const ScheduleExpression& e,
                                                         core::Clock::WallTime after,
                                                         const TimeZone& zone,
                                                         core::Clock::WallTime rateAnchor);
};

// A parsed, valid schedule expression.
class ScheduleExpression {
 public:
  ExpressionKind kind() const { return kind_; }
  // Canonical text: single spaces between cron fields, names and L/W upper-case, the rate
  // value without leading zeros. Parsing the text again gives the same expression.
  const std::string& text() const { return text_; }
  // The period of a rate expression; zero for at and cron.
  std::chrono::minutes ratePeriod() const { return ratePeriod_; }

 private:
  // Local (wall-clock) date and time of an `at` expression.
  struct LocalDateTime {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
  };

  ScheduleExpression() = default;

  ExpressionKind kind_ = ExpressionKind::kRate;
  std::string text_;
  std::chrono::minutes ratePeriod_{0};
  LocalDateTime at_;
  std::shared_ptr<const detail::CronSpec> cron_;  // set for kCron only

  friend class detail::Parser;
  friend std::optional<core::Clock::WallTime> nextFiring(const ScheduleExpression& e,
                                                         core::Clock::WallTime after,
                                                         const TimeZone& zone,
                                                         core::Clock::WallTime rateAnchor);
};

// Parses `text` as the given API would. At most kMaxScheduleExpressionLength bytes.
[[nodiscard]] core::Result<ScheduleExpression> parseScheduleExpression(std::string_view text,
                                                                       ExpressionDialect dialect);

// The first firing strictly after `after`, or nullopt when none remains (an `at` that is
// past or falls into a DST gap, a cron whose years are exhausted or that never matches, a
// time past what WallTime can hold).
//   rate: the first `rateAnchor + k * period` (k >= 0) after `after`; the anchor itself is a
//         firing, so a schedule created at T whose first run is one period later passes
//         T + period. `zone` is not used.
//   cron: whole minutes (seconds 0) in `zone`'s wall-clock time; `rateAnchor` is not used.
//   at:   the given wall-clock second in `zone`; fires once.
std::optional<core::Clock::WallTime> nextFiring(const ScheduleExpression& e,
                                                core::Clock::WallTime after, const TimeZone& zone,
                                                core::Clock::WallTime rateAnchor);

}  // namespace bakery::scheduler
