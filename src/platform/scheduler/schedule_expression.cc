#include "platform/scheduler/schedule_expression.h"

#include <algorithm>
#include <array>
#include <bit>
#include <bitset>
#include <charconv>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include <date/tz.h>

namespace bakery::scheduler {

using WallTime = core::Clock::WallTime;
using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using SysSeconds = std::chrono::sys_seconds;
using LocalSeconds = std::chrono::local_seconds;
using LocalMinutes = std::chrono::local_time<minutes>;

namespace {

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;
constexpr std::size_t kMaxTimezoneLength = 50;
// Where Debian's tzdata installs the database; libdate-tz (built with USE_OS_TZDB) reads the
// same directory.
constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo/";

int daysInMonth(int year, int month) {
  const std::chrono::year_month_day_last last{std::chrono::year{year} /
                                              std::chrono::month{static_cast<unsigned>(month)} /
                                              std::chrono::last};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

// 1 = Sunday ... 7 = Saturday, as cron numbers them.
int cronWeekday(std::chrono::sys_days day) {
  return static_cast<int>(std::chrono::weekday{day}.c_encoding()) + 1;
}

std::chrono::sys_days civilDay(int year, int month, int day) {
  return std::chrono::sys_days{std::chrono::year{year} /
                               std::chrono::month{static_cast<unsigned>(month)} /
                               std::chrono::day{static_cast<unsigned>(day)}};
}

// Lowest set bit at or above `from`, or -1.
int nextSetBit(std::uint64_t mask, int from) {
  if (from >= 64) return -1;
  const std::uint64_t rest = mask >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

// A POSIX TZ rule such as `EST5EDT,M3.2.0,M11.1.0`, in the RFC 8536 dialect TZif footers use
// (quoted names, transition times from -167 to 167 hours). libdate-tz reads only the
// transitions a zone file lists (until 2037 in "fat" files, fewer in "slim" ones) and then
// keeps the last offset forever; the footer rule continues the zone past that point.
class PosixTzRule {
 public:
  // Null when `text` is malformed or has no daylight-saving part (then the last listed
  // offset is right forever).
  static std::optional<PosixTzRule> parse(std::string_view text) {
    PosixTzRule rule;
    Cursor c{text};
    std::optional<seconds> offset;
    if (!c.name() || !(offset = c.time(24))) return std::nullopt;
    rule.standard_ = -*offset;
    if (c.atEnd()) return std::nullopt;
    if (!c.name()) return std::nullopt;
    rule.daylight_ = rule.standard_ + hours{1};
    if (!c.atEnd() && c.peek() != ',') {
      if (!(offset = c.time(24))) return std::nullopt;
      rule.daylight_ = -*offset;
    }
    if (!c.consume(',')) return std::nullopt;
    auto start = c.dateRule();
    if (!start || !c.consume(',')) return std::nullopt;
    auto end = c.dateRule();
    if (!end || !c.atEnd()) return std::nullopt;
    rule.start_ = *start;
    rule.end_ = *end;
    return rule;
  }

  seconds standardOffset() const { return standard_; }
  seconds daylightOffset() const { return daylight_; }

  seconds offsetAt(SysSeconds t) const {
    const int year = static_cast<int>(std::chrono::year_month_day{floor<days>(t)}.year());
    struct Transition {
      SysSeconds at;
      bool toDaylight;
    };
    std::array<Transition, 8> transitions{};
    std::size_t n = 0;
    for (int y = year - 2; y <= year + 1; ++y) {
      transitions[n++] = {instant(start_, y, standard_), true};
      transitions[n++] = {instant(end_, y, daylight_), false};
    }
    // At equal instants (permanent DST written as `0/0,J365/25`) the start wins.
    std::sort(transitions.begin(), transitions.end(), [](const Transition& a, const Transition& b) {
      return a.at != b.at ? a.at < b.at : (!a.toDaylight && b.toDaylight);
    });
    bool daylight = !transitions.front().toDaylight;
    for (const Transition& tr : transitions) {
      if (tr.at > t) break;
      daylight = tr.toDaylight;
    }
    return daylight ? daylight_ : standard_;
  }

 private:
  struct DateRule {
    char mode = 'M';  // 'J': Julian day 1-365 without Feb 29; 'N': day 0-365; 'M': m.w.d
    int month = 0;
    int week = 0;
    int weekday = 0;  // 0 = Sunday
    int day = 0;
    seconds time = hours{2};
  };

  struct Cursor {
    std::string_view s;
    std::size_t i = 0;

    bool atEnd() const { return i == s.size(); }
    char peek() const { return s[i]; }
    bool consume(char ch) {
      if (atEnd() || s[i] != ch) return false;
      ++i;
      return true;
    }
    bool name() {
      const std::size_t begin = i;
      if (consume('<')) {
        while (!atEnd() && s[i] != '>') ++i;
        return consume('>') && i - begin >= 3;
      }
      while (!atEnd() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
      return i - begin >= 3;
    }
    std::optional<int> number(int maxDigits) {
      int value = 0;
      int digits = 0;
      while (!atEnd() && digits < maxDigits && s[i] >= '0' && s[i] <= '9') {
        value = value * 10 + (s[i++] - '0');
        ++digits;
      }
      if (digits == 0) return std::nullopt;
      return value;
    }
    // [+-]h[hh][:mm[:ss]]
    std::optional<seconds> time(int maxHours) {
      const bool negative = consume('-');
      if (!negative) consume('+');
      auto h = number(3);
      if (!h || *h > maxHours) return std::nullopt;
      seconds t = hours{*h};
      if (consume(':')) {
        auto m = number(2);
        if (!m || *m > 59) return std::nullopt;
        t += minutes{*m};
        if (consume(':')) {
          auto sec = number(2);
          if (!sec || *sec > 59) return std::nullopt;
          t += seconds{*sec};
        }
      }
      return negative ? -t : t;
    }
    std::optional<DateRule> dateRule() {
      DateRule r;
      if (consume('J')) {
        auto n = number(3);
        if (!n || *n < 1 || *n > 365) return std::nullopt;
        r.mode = 'J';
        r.day = *n;
      } else if (consume('M')) {
        auto m = number(2);
        if (!m || *m < 1 || *m > 12 || !consume('.')) return std::nullopt;
        auto w = number(1);
        if (!w || *w < 1 || *w > 5 || !consume('.')) return std::nullopt;
        auto d = number(1);
        if (!d || *d > 6) return std::nullopt;
        r.month = *m;
        r.week = *w;
        r.weekday = *d;
      } else {
        auto n = number(3);
        if (!n || *n > 365) return std::nullopt;
        r.mode = 'N';
        r.day = *n;
      }
      if (consume('/')) {
        auto t = time(167);
        if (!t) return std::nullopt;
        r.time = *t;
      }
      return r;
    }
  };

  // The instant `r` names in `year`, read on a wall clock at `offsetBefore`.
  static SysSeconds instant(const DateRule& r, int year, seconds offsetBefore) {
    std::chrono::sys_days day;
    const std::chrono::sys_days jan1 = civilDay(year, 1, 1);
    if (r.mode == 'J') {
      const bool leap = std::chrono::year{year}.is_leap();
      day = jan1 + days{r.day - 1 + (leap && r.day >= 60 ? 1 : 0)};
    } else if (r.mode == 'N') {
      day = jan1 + days{r.day};
    } else {
      const std::chrono::sys_days first = civilDay(year, r.month, 1);
      const int firstWeekday = cronWeekday(first) - 1;
      int d = 1 + (r.weekday - firstWeekday + 7) % 7 + 7 * (r.week - 1);
      while (d > daysInMonth(year, r.month)) d -= 7;
      day = first + days{d - 1};
    }
    return SysSeconds{day} + r.time - offsetBefore;
  }

  seconds standard_{0};
  seconds daylight_{0};
  DateRule start_;
  DateRule end_;
};

// The footer line of a TZif (version 2+) file: its last line, between two newlines.
std::optional<PosixTzRule> readFooterRule(const std::string& zoneName) {
  std::ifstream in(std::string(kZoneInfoDir) + zoneName, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.size() < 6 || bytes.compare(0, 4, "TZif") != 0 || bytes[4] < '2' ||
      bytes.back() != '\n') {
    return std::nullopt;
  }
  const std::size_t open = bytes.rfind('\n', bytes.size() - 2);
  if (open == std::string::npos) return std::nullopt;
  return PosixTzRule::parse(std::string_view(bytes).substr(open + 1, bytes.size() - 2 - open));
}

// Where the wall-clock time `local` falls: `exists` is false inside a gap (clocks jumped
// forward over it); otherwise `first` is its earliest instant (the first of two when clocks
// fell back over it).
struct LocalResolution {
  bool exists = false;
  SysSeconds first;
};

}  // namespace

namespace detail {

struct ZoneRules {
  std::string name;
  const date::time_zone* zone = nullptr;
  // Continues the zone after the last transition its file lists.
  std::optional<PosixTzRule> tail;

  // The period a tz-database lookup returned runs past every listed transition.
  static bool openEnded(date::sys_seconds end) {
    return end >= date::sys_seconds{date::sys_days{date::year{9999} / 1 / 1}};
  }

  seconds offsetAt(SysSeconds t) const {
    const date::sys_info info = zone->get_info(t);
    if (tail && openEnded(info.end)) return tail->offsetAt(t);
    return info.offset;
  }

  LocalResolution resolve(LocalSeconds local) const {
    const date::local_info info = zone->get_info(date::local_seconds{local.time_since_epoch()});
    if (tail && info.result == date::local_info::unique && openEnded(info.first.end)) {
      return resolveByTail(local);
    }
    if (info.result == date::local_info::nonexistent) return {};
    return {true, SysSeconds{local.time_since_epoch() - info.first.offset}};
  }

  // A wall-clock time exists under each offset that is in force at the instant it implies.
  LocalResolution resolveByTail(LocalSeconds local) const {
    LocalResolution result;
    for (seconds offset : {tail->daylightOffset(), tail->standardOffset()}) {
      const SysSeconds at{local.time_since_epoch() - offset};
      if (tail->offsetAt(at) != offset) continue;
      if (!result.exists || at < result.first) result = {true, at};
    }
    return result;
  }
};

}  // namespace detail

namespace {

seconds offsetAt(const detail::ZoneRules* zone, SysSeconds t) {
  return zone == nullptr ? seconds{0} : zone->offsetAt(t);
}

LocalResolution resolve(const detail::ZoneRules* zone, LocalSeconds local) {
  if (zone == nullptr) return {true, SysSeconds{local.time_since_epoch()}};
  return zone->resolve(local);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// TimeZone

TimeZone::TimeZone() = default;

TimeZone::TimeZone(std::shared_ptr<const detail::ZoneRules> rules) : rules_(std::move(rules)) {}

const std::string& TimeZone::name() const {
  static const std::string kUtc = "UTC";
  return rules_ == nullptr ? kUtc : rules_->name;
}

core::Result<TimeZone> TimeZone::named(std::string_view iana) {
  if (iana.empty() || iana.size() > kMaxTimezoneLength) {
    return core::Error::validation(
        "1 validation error detected: Value at 'scheduleExpressionTimezone' failed to satisfy "
        "constraint: Member must have length " +
            std::string(iana.empty() ? "greater than or equal to 1" : "less than or equal to 50"),
        "ScheduleExpressionTimezone");
  }
  if (iana == "UTC") return TimeZone();
  const auto invalid = [&] {
    return core::Error::validation("Invalid ScheduleExpressionTimezone " + std::string(iana) +
                                       ": not a time zone of the IANA tz database",
                                   "ScheduleExpressionTimezone");
  };
  // libdate-tz reports a missing database or an unreadable zone file by throwing; both are
  // installation faults, turned into a value here so callers see one channel.
  try {
    const date::tzdb& db = date::get_tzdb();
    const auto it =
        std::lower_bound(db.zones.begin(), db.zones.end(), iana,
                         [](const date::time_zone& z, std::string_view n) { return z.name() < n; });
    // `localtime` is the host's own setting, not a zone name.
    if (it == db.zones.end() || it->name() != iana || iana == "localtime") return invalid();
    auto rules = std::make_shared<detail::ZoneRules>();
    rules->name = std::string(iana);
    rules->zone = &*it;
    rules->zone->get_info(date::sys_seconds{});  // loads the zone file now, not per firing
    rules->tail = readFooterRule(rules->name);
    return TimeZone(std::move(rules));
  } catch (const std::exception&) {
    return core::Error::internal("time zone database unavailable");
  }
}

// ---------------------------------------------------------------------------------------
// Parsing

namespace detail {

// Bit sets of the values each cron field allows; bit i stands for value i.
struct CronSpec {
  std::uint64_t minutes = 0;
  std::uint64_t hours = 0;
  std::uint64_t months = 0;
  std::bitset<kLastYear - kFirstYear + 1> years;

  bool dayOfMonthUnset = false;       // `?`
  std::uint64_t monthDays = 0;        // plain days
  std::uint64_t nearestWeekdays = 0;  // `dW`
  bool lastDay = false;               // `L`
  bool lastWeekday = false;           // `LW`

  bool dayOfWeekUnset = false;     // `?`
  std::uint64_t weekdays = 0;      // 1 = Sunday ... 7 = Saturday
  std::uint64_t lastWeekdays = 0;  // `wL`: the last such weekday of the month
  int nthWeekday = 0;              // `w#n`: weekday, 0 when absent
  int nthWeek = 0;                 //        and n (1-5)

  // The days of `month` in `year` this spec allows.
  std::uint64_t daysOf(int year, int month) const {
    const int last = daysInMonth(year, month);
    const std::chrono::sys_days first = civilDay(year, month, 1);
    const int firstWeekday = cronWeekday(first);
    const auto weekdayOf = [&](int day) { return (firstWeekday - 1 + day - 1) % 7 + 1; };
    const std::uint64_t inMonth = ((std::uint64_t{1} << (last + 1)) - 1) & ~std::uint64_t{1};
    std::uint64_t mask = 0;
    if (dayOfWeekUnset) {
      mask |= monthDays & inMonth;
      if (lastDay) mask |= std::uint64_t{1} << last;
      if (lastWeekday) mask |= std::uint64_t{1} << nearestWeekday(last, last, weekdayOf(last));
      for (int day = 1; day <= last; ++day) {
        if ((nearestWeekdays >> day) & 1) {
          mask |= std::uint64_t{1} << nearestWeekday(day, last, weekdayOf(day));
        }
      }
      return mask;
    }
    for (int day = 1; day <= last; ++day) {
      if ((weekdays >> weekdayOf(day)) & 1) mask |= std::uint64_t{1} << day;
    }
    for (int w = 1; w <= 7; ++w) {
      if ((lastWeekdays >> w) & 1) {
        mask |= std::uint64_t{1} << (last - (weekdayOf(last) - w + 7) % 7);
      }
    }
    if (nthWeekday != 0) {
      const int day = 1 + (nthWeekday - firstWeekday + 7) % 7 + 7 * (nthWeek - 1);
      if (day <= last) mask |= std::uint64_t{1} << day;
    }
    return mask;
  }

  // The weekday nearest `day` without leaving the month (`1W` on a Saturday is Monday the
  // 3rd; `31W` on a Sunday is Friday the 29th).
  static int nearestWeekday(int day, int lastDayOfMonth, int weekday) {
    if (weekday == 7) return day == 1 ? day + 2 : day - 1;
    if (weekday == 1) return day == lastDayOfMonth ? day - 2 : day + 1;
    return day;
  }

  int nextYear(int from) const {
    for (int y = std::max(from, kFirstYear); y <= kLastYear; ++y) {
      if (years.test(static_cast<std::size_t>(y - kFirstYear))) return y;
    }
    return -1;
  }

  // The first wall-clock minute at or after `from` that matches, or nullopt.
  std::optional<LocalMinutes> nextMatch(LocalMinutes from) const {
    const std::chrono::local_days fromDay = floor<days>(from);
    const std::chrono::year_month_day ymd{fromDay};
    int y = static_cast<int>(ymd.year());
    int mo = static_cast<int>(static_cast<unsigned>(ymd.month()));
    int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const auto minuteOfDay = static_cast<int>((from - fromDay).count());
    int h = minuteOfDay / 60;
    int mi = minuteOfDay % 60;
    // Setting a field resets the fields below it to their first value.
    const auto setHour = [&](int value) {
      h = value;
      mi = 0;
    };
    const auto setDay = [&](int value) {
      d = value;
      setHour(0);
    };
    const auto setMonth = [&](int value) {
      mo = value;
      setDay(1);
    };
    const auto setYear = [&](int value) {
      y = value;
      setMonth(1);
    };
    // Each round either returns or moves one field forward. Moving past a field's last value
    // (month 13, day 32, hour 24, minute 60) finds no set bit and carries into the field
    // above, so the loop runs a few times per year it has to skip.
    while (true) {
      if (y > kLastYear) return std::nullopt;
      const int year = nextYear(y);
      if (year < 0) return std::nullopt;
      if (year != y) setYear(year);
      const int month = nextSetBit(months, mo);
      if (month < 0) {
        setYear(y + 1);
        continue;
      }
      if (month != mo) setMonth(month);
      const int day = nextSetBit(daysOf(y, mo), d);
      if (day < 0) {
        setMonth(mo + 1);
        continue;
      }
      if (day != d) setDay(day);
      const int hour = nextSetBit(hours, h);
      if (hour < 0) {
        setDay(d + 1);
        continue;
      }
      if (hour != h) setHour(hour);
      const int minute = nextSetBit(minutes, mi);
      if (minute < 0) {
        setHour(h + 1);
        continue;
      }
      return LocalMinutes{civilDay(y, mo, d).time_since_epoch()} + std::chrono::hours{h} +
             std::chrono::minutes{minute};
    }
  }
};

namespace {

enum class CronField { kMinutes, kHours, kDayOfMonth, kMonth, kDayOfWeek, kYear };

struct FieldLimits {
  std::string_view name;
  int min;
  int max;
  int maxIncrement;  // 0: `/` not allowed
};

constexpr std::array<FieldLimits, 6> kFieldLimits{{
    {"minutes", 0, 59, 59},
    {"hours", 0, 23, 23},
    {"day-of-month", 1, 31, 31},
    {"month", 1, 12, 12},
    {"day-of-week", 1, 7, 0},
    {"year", kFirstYear, kLastYear, kLastYear - kFirstYear},
}};

constexpr std::array<std::string_view, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames{"SUN", "MON", "TUE", "WED",
                                                        "THU", "FRI", "SAT"};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string upperCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split(std::string_view s, char separator, bool skipEmpty) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = s.find(separator, begin);
    const std::string_view part =
        s.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    if (!skipEmpty || !part.empty()) parts.push_back(part);
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

// Calls `set` for every value of the range [first, last] (wrapping past max back to min when
// last < first), stepping by `increment`.
template <class Set>
void forEachInRange(const FieldLimits& limits, int first, int last, int increment, Set&& set) {
  const int size = limits.max - limits.min + 1;
  const int span = ((last - first) % size + size) % size;
  for (int offset = 0; offset <= span; offset += increment) {
    set(limits.min + (first - limits.min + offset) % size);
  }
}

}  // namespace

class Parser {
 public:
  Parser(std::string_view text, ExpressionDialect dialect) : text_(text), dialect_(dialect) {}

  core::Result<ScheduleExpression> parse() {
    if (text_.empty() || text_.size() > kMaxScheduleExpressionLength) {
      return core::Error::validation(
          "1 validation error detected: Value at 'scheduleExpression' failed to satisfy "
          "constraint: Member must have length " +
              std::string(text_.empty() ? "greater than or equal to 1"
                                        : "less than or equal to 256"),
          "ScheduleExpression");
    }
    std::string_view inner;
    if (unwrap("rate", inner)) return parseRate(inner);
    if (unwrap("cron", inner)) return parseCron(inner);
    if (unwrap("at", inner)) {
      if (dialect_ == ExpressionDialect::kRule) {
        return fail("at() expressions are supported only by EventBridge Scheduler");
      }
      return parseAt(inner);
    }
    return fail(dialect_ == ExpressionDialect::kRule
                    ? "expected rate(value unit) or cron(fields)"
                    : "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)");
  }

 private:
  // `keyword(inner)`, with `inner` stripped of surrounding spaces.
  bool unwrap(std::string_view keyword, std::string_view& inner) const {
    if (text_.size() < keyword.size() + 2 || text_.substr(0, keyword.size()) != keyword ||
        text_[keyword.size()] != '(' || text_.back() != ')') {
      return false;
    }
    inner = text_.substr(keyword.size() + 1, text_.size() - keyword.size() - 2);
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
    return true;
  }

  core::Error fail(std::string_view detail) const {
    std::string message =
        dialect_ == ExpressionDialect::kScheduler
            ? "Invalid Schedule Expression " + std::string(text_) + ": "
            : "Parameter ScheduleExpression is not valid. " + std::string(text_) + ": ";
    message += detail;
    return core::Error::validation(std::move(message), "ScheduleExpression");
  }

  core::Result<ScheduleExpression> parseRate(std::string_view inner) const {
    const std::vector<std::string_view> parts = split(inner, ' ', /*skipEmpty=*/true);
    if (parts.size() != 2) return fail("expected rate(value unit)");
    const std::string_view digits = parts[0];
    const std::string_view unit = parts[1];
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) {
      return fail("the rate value must be a positive integer");
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value > 999'999'999) {
      return fail("the rate value must be at most 999999999");
    }
    if (value == 0) return fail("the rate value must be a positive integer");
    minutes unitLength{0};
    bool plural = false;
    if (unit == "minute" || unit == "minutes") {
      unitLength = minutes{1};
    } else if (unit == "hour" || unit == "hours") {
      unitLength = hours{1};
    } else if (unit == "day" || unit == "days") {
      unitLength = days{1};
    } else {
      return fail("the rate unit must be minute, minutes, hour, hours, day or days");
    }
    plural = unit.back() == 's';
    if (value == 1 && plural) {
      return fail("a rate of 1 takes a singular unit (minute, hour or day)");
    }
    if (value > 1 && !plural) {
      return fail("a rate above 1 takes a plural unit (minutes, hours or days)");
    }
    ScheduleExpression e;
    e.kind_ = ExpressionKind::kRate;
    e.ratePeriod_ = unitLength * value;
    e.text_ = "rate(" + std::to_string(value) + " " + std::string(unit) + ")";
    return e;
  }

  core::Result<ScheduleExpression> parseAt(std::string_view inner) const {
    // yyyy-mm-ddThh:mm:ss
    constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
    bool shaped = inner.size() == kShape.size();
    for (std::size_t i = 0; shaped && i < kShape.size(); ++i) {
      shaped = kShape[i] == 'd' ? isDigit(inner[i]) : inner[i] == kShape[i];
    }
    if (!shaped) return fail("expected at(yyyy-mm-ddThh:mm:ss)");
    const auto field = [&](std::size_t pos, std::size_t len) {
      int v = 0;
      for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (inner[i] - '0');
      return v;
    };
    ScheduleExpression e;
    e.kind_ = ExpressionKind::kAt;
    e.at_ = {field(0, 4), field(5, 2), field(8, 2), field(11, 2), field(14, 2), field(17, 2)};
    const auto& at = e.at_;
    if (at.year < kFirstYear || at.year > kLastYear) {
      return fail("the year must be between 1970 and 2199");
    }
    const std::chrono::year_month_day date{std::chrono::year{at.year},
                                           std::chrono::month{static_cast<unsigned>(at.month)},
                                           std::chrono::day{static_cast<unsigned>(at.day)}};
    if (!date.ok()) return fail(std::string(inner.substr(0, 10)) + " is not a valid date");
    if (at.hour > 23 || at.minute > 59 || at.second > 59) {
      return fail(std::string(inner.substr(11)) + " is not a valid time of day");
    }
    e.text_ = "at(" + std::string(inner) + ")";
    return e;
  }

  core::Result<ScheduleExpression> parseCron(std::string_view inner) const {
    const std::vector<std::string_view> fields = split(inner, ' ', /*skipEmpty=*/true);
    if (fields.size() != 6) {
      return fail("expected 6 fields (minutes hours day-of-month month day-of-week year), found " +
                  std::to_string(fields.size()));
    }
    auto spec = std::make_shared<CronSpec>();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (auto error = parseField(static_cast<CronField>(i), fields[i], *spec)) return *error;
    }
    if (spec->dayOfMonthUnset && spec->dayOfWeekUnset) {
      return fail("day-of-month and day-of-week cannot both be '?'");
    }
    if (!spec->dayOfMonthUnset && !spec->dayOfWeekUnset) {
      return fail("day-of-month and day-of-week cannot both be specified; one of them must be '?'");
    }
    ScheduleExpression e;
    e.kind_ = ExpressionKind::kCron;
    e.text_ = "cron(";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) e.text_ += ' ';
      e.text_ += upperCase(fields[i]);
    }
    e.text_ += ')';
    e.cron_ = std::move(spec);
    return e;
  }

  // A number, or a month or weekday name where the field takes names; a number too long for
  // an int comes back as a value past any field's range.
  static std::optional<int> value(CronField field, std::string_view& rest) {
    if (!rest.empty() && isDigit(rest.front())) {
      std::size_t n = 0;
      while (n < rest.size() && isDigit(rest[n])) ++n;
      int v = 0;
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + n, v);
      rest.remove_prefix(n);
      if (ec != std::errc() || end != rest.data()) return kLastYear + 1;
      return v;
    }
    const auto matchName = [&](const auto& names) -> std::optional<int> {
      if (rest.size() < 3) return std::nullopt;
      const std::string candidate = upperCase(rest.substr(0, 3));
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == candidate) {
          rest.remove_prefix(3);
          return 1 + static_cast<int>(i);
        }
      }
      return std::nullopt;
    };
    if (field == CronField::kMonth) return matchName(kMonthNames);
    if (field == CronField::kDayOfWeek) return matchName(kWeekdayNames);
    return std::nullopt;
  }

  std::optional<core::Error> parseField(CronField field, std::string_view text,
                                        CronSpec& spec) const {
    const FieldLimits& limits = kFieldLimits[static_cast<std::size_t>(field)];
    const std::string prefix = std::string(limits.name) + ": ";
    const bool isDayOfMonth = field == CronField::kDayOfMonth;
    const bool isDayOfWeek = field == CronField::kDayOfWeek;
    if (text.find('?') != std::string_view::npos) {
      if (!isDayOfMonth && !isDayOfWeek) {
        return fail(prefix + "'?' is allowed only in day-of-month and day-of-week");
      }
      if (text != "?") return fail(prefix + "'?' must be the whole field");
      (isDayOfMonth ? spec.dayOfMonthUnset : spec.dayOfWeekUnset) = true;
      return std::nullopt;
    }
    const std::vector<std::string_view> items = split(text, ',', /*skipEmpty=*/false);
    if (isDayOfWeek && items.size() > 1 && text.find('#') != std::string_view::npos) {
      return fail(prefix + "only one '#' expression is allowed");
    }
    for (const std::string_view item : items) {
      if (item.empty()) return fail(prefix + "empty list element");
      if (auto error = parseItem(field, limits, prefix, item, spec)) return error;
    }
    return std::nullopt;
  }

  std::optional<core::Error> parseItem(CronField field, const FieldLimits& limits,
                                       const std::string& prefix, std::string_view item,
                                       CronSpec& spec) const {
    const bool isDayOfMonth = field == CronField::kDayOfMonth;
    const bool isDayOfWeek = field == CronField::kDayOfWeek;
    const std::string shown = "'" + std::string(item) + "'";
    const auto set = [&](int v) {
      const auto bit = std::uint64_t{1} << (v < 64 ? v : 0);
      switch (field) {
        case CronField::kMinutes:
          spec.minutes |= bit;
          break;
        case CronField::kHours:
          spec.hours |= bit;
          break;
        case CronField::kDayOfMonth:
          spec.monthDays |= bit;
          break;
        case CronField::kMonth:
          spec.months |= bit;
          break;
        case CronField::kDayOfWeek:
          spec.weekdays |= bit;
          break;
        case CronField::kYear:
          spec.years.set(static_cast<std::size_t>(v - kFirstYear));
          break;
      }
    };
    // `token`: the value as written (it may be too long for an int).
    const auto outOfRange = [&](std::string_view token) {
      return fail(prefix + std::string(token) + " is out of range " + std::to_string(limits.min) +
                  "-" + std::to_string(limits.max));
    };
    const auto inRange = [&](int v) { return v >= limits.min && v <= limits.max; };
    const std::string upperItem = upperCase(item);
    if (isDayOfMonth && upperItem == "L") {
      spec.lastDay = true;
      return std::nullopt;
    }
    if (isDayOfMonth && upperItem == "LW") {
      spec.lastWeekday = true;
      return std::nullopt;
    }
    if (isDayOfWeek && upperItem == "L") {  // the last day of the week: Saturday
      set(7);
      return std::nullopt;
    }

    std::string_view rest = item;
    int first = limits.min;
    int last = limits.max;
    bool single = false;
    if (rest.front() == '*') {
      rest.remove_prefix(1);
    } else {
      const std::string_view before = rest;
      const auto v = value(field, rest);
      if (!v) return fail(prefix + shown + " is not a valid value");
      if (!inRange(*v)) return outOfRange(before.substr(0, before.size() - rest.size()));
      first = *v;
      last = *v;
      single = true;
      if (!rest.empty() && isDayOfMonth && upper(rest.front()) == 'W') {
        if (rest.size() != 1) return fail(prefix + shown + " is not a valid value");
        spec.nearestWeekdays |= std::uint64_t{1} << first;
        return std::nullopt;
      }
      if (!rest.empty() && isDayOfWeek && upper(rest.front()) == 'L') {
        if (rest.size() != 1) return fail(prefix + shown + " is not a valid value");
        spec.lastWeekdays |= std::uint64_t{1} << first;
        return std::nullopt;
      }
      if (!rest.empty() && isDayOfWeek && rest.front() == '#') {
        rest.remove_prefix(1);
        int week = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), week);
        if (ec != std::errc() || end != rest.data() + rest.size() || week < 1 || week > 5) {
          return fail(prefix + "the week in " + shown + " must be between 1 and 5");
        }
        spec.nthWeekday = first;
        spec.nthWeek = week;
        return std::nullopt;
      }
      if (!rest.empty() && rest.front() == '-') {
        rest.remove_prefix(1);
        const std::string_view endText = rest;
        const auto end = value(field, rest);
        if (!end) return fail(prefix + shown + " is not a valid range");
        if (!inRange(*end)) return outOfRange(endText.substr(0, endText.size() - rest.size()));
        last = *end;
        single = false;
      }
    }
    int increment = 1;
    if (!rest.empty() && rest.front() == '/') {
      if (limits.maxIncrement == 0) return fail(prefix + "'/' is not allowed");
      rest.remove_prefix(1);
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), increment);
      if (ec != std::errc() || end != rest.data() + rest.size() || rest.empty() ||
          !isDigit(rest.front())) {
        return fail(prefix + shown + " has an invalid increment");
      }
      if (increment < 1 || increment > limits.maxIncrement) {
        return fail(prefix + "the increment in " + shown + " must be between 1 and " +
                    std::to_string(limits.maxIncrement));
      }
      rest = {};
      if (single) last = limits.max;  // `n/k`: from n to the end of the field
    }
    if (!rest.empty()) return fail(prefix + shown + " is not a valid value");
    forEachInRange(limits, first, last, increment, set);
    return std::nullopt;
  }

  std::string_view text_;
  ExpressionDialect dialect_;
};

}  // namespace detail

core::Result<ScheduleExpression> parseScheduleExpression(std::string_view text,
                                                         ExpressionDialect dialect) {
  return detail::Parser(text, dialect).parse();
}

// ---------------------------------------------------------------------------------------
// Firing times

std::optional<WallTime> nextFiring(const ScheduleExpression& e, WallTime after,
                                   const TimeZone& zone, WallTime rateAnchor) {
  const detail::ZoneRules* rules = zone.rules_.get();
  switch (e.kind_) {
    case ExpressionKind::kRate: {
      if (after < rateAnchor) return rateAnchor;
      const seconds period = e.ratePeriod_;
      // The first k with anchor + k * period > after. The period is whole seconds, so only
      // the elapsed time floored to seconds matters; it is computed in seconds, which cannot
      // overflow for any two WallTimes.
      const SysSeconds afterSeconds = floor<seconds>(after);
      const SysSeconds anchorSeconds = floor<seconds>(rateAnchor);
      seconds elapsed = afterSeconds - anchorSeconds;
      if (after - afterSeconds < rateAnchor - anchorSeconds) elapsed -= seconds{1};
      const std::int64_t k = elapsed / period + 1;
      const seconds room = floor<seconds>(WallTime::max()) - anchorSeconds;
      if (k > room / period) return std::nullopt;
      return rateAnchor + std::chrono::duration_cast<WallTime::duration>(period * k);
    }
    case ExpressionKind::kAt: {
      const auto& at = e.at_;
      const LocalSeconds local{civilDay(at.year, at.month, at.day).time_since_epoch() +
                               hours{at.hour} + minutes{at.minute} + seconds{at.second}};
      const LocalResolution r = resolve(rules, local);
      if (!r.exists || r.first <= floor<seconds>(after)) return std::nullopt;
      return WallTime{r.first};
    }
    case ExpressionKind::kCron: {
      // Firings are whole seconds, so "after `after`" is "after `after` floored to seconds".
      const SysSeconds afterSeconds = floor<seconds>(after);
      const LocalSeconds localAfter{afterSeconds.time_since_epoch() +
                                    offsetAt(rules, afterSeconds)};
      LocalMinutes from = floor<minutes>(localAfter) + minutes{1};
      // Candidates are wall-clock minutes in order. One is passed over when it falls into a
      // DST gap, or when its first occurrence is not after `after` (which happens only while
      // `after` is inside the repeated hour of a fall-back); both spans are bounded.
      while (true) {
        const std::optional<LocalMinutes> candidate = e.cron_->nextMatch(from);
        if (!candidate) return std::nullopt;
        const LocalResolution r = resolve(rules, LocalSeconds{*candidate});
        if (r.exists && r.first > afterSeconds) return WallTime{r.first};
        from = *candidate + minutes{1};
      }
    }
  }
  return std::nullopt;
}

}  // namespace bakery::scheduler
