#include "platform/scheduler/engine/scheduler_engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "core/encoding.h"
#include "core/mutex.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/scheduler/schedule_expression.h"
#include "platform/storage/storage.h"

namespace bakery::scheduler {
namespace {

using Micros = std::int64_t;
using WallTime = core::Clock::WallTime;

constexpr std::string_view kDefaultGroup = "default";
constexpr std::string_view kKeyPrefix = "s/";
constexpr Micros kMicrosPerSecond = 1'000'000;
constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
// A firing this late past its due time was missed (the node was down, not merely busy): it
// fires once and the schedule continues after the present instead of replaying every tick.
constexpr Micros kMissedAfter = kMicrosPerMinute;
// AWS accepts a StartDate at most this far in the past.
constexpr Micros kStartDateGrace = 5 * kMicrosPerMinute;
// Firings committed together: one fsync for many schedules due at the same minute, while
// bounding how long the control plane waits for the lock.
constexpr std::size_t kMaxFiringsPerBatch = 256;
constexpr std::int64_t kMaxListResults = 100;
constexpr std::int64_t kDefaultMaximumEventAge = 86400;
constexpr std::int64_t kDefaultMaximumRetryAttempts = 185;
// Largest timestamp accepted: the last second of year 9999.
constexpr double kMaxEpochSeconds = 253402300799.0;

constexpr std::string_view kArnPlaceholder = "<aws.scheduler.schedule-arn>";
constexpr std::string_view kTimePlaceholder = "<aws.scheduler.scheduled-time>";
constexpr std::string_view kExecutionPlaceholder = "<aws.scheduler.execution-id>";
constexpr std::string_view kAttemptPlaceholder = "<aws.scheduler.attempt-number>";

Micros toMicros(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

WallTime fromMicros(Micros m) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(m)));
}

// Epoch seconds as the API writes timestamps: an integer when whole, else fractional.
json::value epochSeconds(Micros m) {
  if (m % kMicrosPerSecond == 0) return json::value(m / kMicrosPerSecond);
  return json::value(static_cast<double>(m) / static_cast<double>(kMicrosPerSecond));
}

std::string isoSeconds(Micros m) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(fromMicros(m)));
}

void replaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// --- Request members, checked as the service does -----------------------------------------

// AWS's messages name members camelCase along their path ("target.retryPolicy").
std::string messagePath(std::string_view path) {
  std::string out(path);
  bool segmentStart = true;
  for (char& c : out) {
    if (segmentStart && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    segmentStart = c == '.';
  }
  return out;
}

core::Error constraint(std::string_view path, std::string_view value, std::string_view rule) {
  std::string shown(value.substr(0, 256));
  return core::Error::validation(
      fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                  "constraint: {}",
                  shown, messagePath(path), rule),
      std::string(path));
}

core::Error missing(std::string_view path) {
  return core::Error::validation(
      fmt::format("1 validation error detected: Value null at '{}' failed to satisfy "
                  "constraint: Member must not be null",
                  messagePath(path)),
      std::string(path));
}

core::Error wrongType(std::string_view path, std::string_view expected) {
  return core::Error::validation(
      fmt::format("Value at '{}' must be {}", messagePath(path), expected), std::string(path));
}

core::Error invalid(std::string_view path, std::string message) {
  return core::Error::validation(std::move(message), std::string(path));
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ^[0-9a-zA-Z-_.]+$: schedule and group names.
bool isName(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// ^[a-zA-Z][0-9a-zA-Z-_]*$: NamePrefix.
bool isNamePrefix(std::string_view s) {
  if (s.empty() || !isAlnum(s[0]) || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-' || c == '_'; });
}

// ^[a-zA-Z0-9-_]+$: ClientToken.
bool isClientToken(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-' || c == '_'; });
}

bool matches(std::string_view s, const std::regex& pattern) {
  return std::regex_match(s.begin(), s.end(), pattern);
}

constexpr std::string_view kRoleArnPattern =
    "^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/(service-role\\/){0,1}[a-zA-Z0-9\\+=,\\.@\\-_]+$";
constexpr std::string_view kDeadLetterArnPattern =
    "^arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+$";
constexpr std::string_view kKmsKeyArnPattern =
    "^arn:aws(-[a-z]+)?:kms:[a-z0-9\\-]+:\\d{12}:(key|alias)\\/[0-9a-zA-Z-_]*$";

bool isRoleArn(std::string_view s) {
  static const std::regex pattern(
      R"(arn:aws(-[a-z]+)?:iam::\d{12}:role/(service-role/)?[a-zA-Z0-9+=,.@_-]+)");
  return matches(s, pattern);
}

bool isDeadLetterArn(std::string_view s) {
  static const std::regex pattern(R"(arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+)");
  return matches(s, pattern);
}

bool isKmsKeyArn(std::string_view s) {
  static const std::regex pattern(
      R"(arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:\d{12}:(key|alias)/[0-9a-zA-Z_-]*)");
  return matches(s, pattern);
}

// The members of one request structure; reports the first problem as the service words it.
class Members {
 public:
  Members(const json::object& object, std::string path)
      : object_(&object), path_(std::move(path)) {}

  std::string path(std::string_view name) const {
    return path_.empty() ? std::string(name) : fmt::format("{}.{}", path_, name);
  }

  bool has(std::string_view name) const { return find(name) != nullptr; }

  core::Result<std::optional<std::string>> text(std::string_view name, std::size_t minLength,
                                                std::size_t maxLength) const {
    const json::value* v = find(name);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return wrongType(path(name), "a string");
    std::string value(v->get_string());
    if (value.size() < minLength) {
      return constraint(
          path(name), value,
          fmt::format("Member must have length greater than or equal to {}", minLength));
    }
    if (value.size() > maxLength) {
      return constraint(path(name), value,
                        fmt::format("Member must have length less than or equal to {}", maxLength));
    }
    return std::optional<std::string>(std::move(value));
  }

  core::Result<std::string> requiredText(std::string_view name, std::size_t minLength,
                                         std::size_t maxLength) const {
    auto value = text(name, minLength, maxLength);
    if (!value) return value.error();
    if (!*value) return missing(path(name));
    return std::move(**value);
  }

  // A string member restricted to `values`.
  core::Result<std::optional<std::string>> choice(
      std::string_view name, std::initializer_list<std::string_view> values) const {
    auto value = text(name, 0, std::numeric_limits<std::size_t>::max());
    if (!value || !*value) return value;
    if (std::find(values.begin(), values.end(), **value) == values.end()) {
      std::string set;
      for (std::string_view v : values) set += fmt::format("{}{}", set.empty() ? "" : ", ", v);
      return constraint(path(name), **value,
                        fmt::format("Member must satisfy enum value set: [{}]", set));
    }
    return value;
  }

  core::Result<std::optional<std::int64_t>> integer(std::string_view name, std::int64_t min,
                                                    std::int64_t max) const {
    const json::value* v = find(name);
    if (v == nullptr) return std::optional<std::int64_t>();
    auto value = core::integerValue(*v);
    if (!value) return wrongType(path(name), "an integer");
    if (*value < min) {
      return constraint(path(name), std::to_string(*value),
                        fmt::format("Member must have value greater than or equal to {}", min));
    }
    if (*value > max) {
      return constraint(path(name), std::to_string(*value),
                        fmt::format("Member must have value less than or equal to {}", max));
    }
    return std::optional<std::int64_t>(*value);
  }

  // Epoch seconds, integral or fractional, to microseconds.
  core::Result<std::optional<Micros>> timestamp(std::string_view name) const {
    const json::value* v = find(name);
    if (v == nullptr) return std::optional<Micros>();
    double seconds = 0;
    if (auto whole = core::integerValue(*v)) {
      seconds = static_cast<double>(*whole);
    } else if (v->is_double()) {
      seconds = v->get_double();
    } else {
      return wrongType(path(name), "a timestamp (epoch seconds)");
    }
    if (!(seconds >= 0 && seconds <= kMaxEpochSeconds)) {
      return invalid(path(name), fmt::format("{} is out of range: {}", name, core::toJson(*v)));
    }
    return std::optional<Micros>(
        static_cast<Micros>(std::llround(seconds * static_cast<double>(kMicrosPerSecond))));
  }

  core::Result<std::optional<Members>> structure(std::string_view name) const {
    const json::value* v = find(name);
    if (v == nullptr) return std::optional<Members>();
    if (!v->is_object()) return wrongType(path(name), "a structure");
    return std::optional<Members>(Members(v->get_object(), path(name)));
  }

 private:
  const json::value* find(std::string_view name) const {
    auto it = object_->find(name);
    return it == object_->end() || it->value().is_null() ? nullptr : &it->value();
  }

  const json::object* object_;
  std::string path_;
};

core::Result<std::string> scheduleName(const Members& m) {
  auto name = m.requiredText("Name", 1, 64);
  if (!name) return name.error();
  if (!isName(*name)) {
    return constraint(m.path("Name"), *name,
                      "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$");
  }
  return name;
}

core::Result<std::optional<std::string>> groupName(const Members& m) {
  auto group = m.text("GroupName", 1, 64);
  if (!group || !*group) return group;
  if (!isName(**group)) {
    return constraint(m.path("GroupName"), **group,
                      "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$");
  }
  return group;
}

core::Result<void> checkClientToken(const Members& m) {
  auto token = m.text("ClientToken", 1, 64);
  if (!token) return token.error();
  if (*token && !isClientToken(**token)) {
    return constraint(m.path("ClientToken"), **token,
                      "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]+$");
  }
  return {};
}

core::Error groupNotFound(std::string_view group) {
  return core::Error::notFound(fmt::format("Schedule group {} does not exist.", group));
}

// --- Schedules ------------------------------------------------------------------------------

enum class TargetKind { kQueue, kFunction, kBus };

std::optional<TargetKind> targetKind(std::string_view arn) {
  if (arn.starts_with("arn:aws:sqs:") && !arn.ends_with(".fifo")) return TargetKind::kQueue;
  if (arn.starts_with("arn:aws:lambda:") && arn.find(":function:") != std::string_view::npos) {
    return TargetKind::kFunction;
  }
  if (arn.starts_with("arn:aws:events:") && arn.find(":event-bus/") != std::string_view::npos) {
    return TargetKind::kBus;
  }
  return std::nullopt;
}

struct EventBridgeParameters {
  std::string detailType;
  std::string source;
};

struct Target {
  std::string arn;
  TargetKind kind = TargetKind::kQueue;
  std::string roleArn;
  std::optional<std::string> input;
  std::int64_t maximumEventAge = kDefaultMaximumEventAge;
  std::int64_t maximumRetryAttempts = kDefaultMaximumRetryAttempts;
  std::string deadLetterArn;
  std::optional<EventBridgeParameters> eventBridge;

  json::object toJson() const {
    json::object out{{"Arn", arn},
                     {"RoleArn", roleArn},
                     {"RetryPolicy", json::object{{"MaximumEventAgeInSeconds", maximumEventAge},
                                                  {"MaximumRetryAttempts", maximumRetryAttempts}}}};
    if (input) out["Input"] = *input;
    if (!deadLetterArn.empty()) out["DeadLetterConfig"] = json::object{{"Arn", deadLetterArn}};
    if (eventBridge) {
      out["EventBridgeParameters"] =
          json::object{{"DetailType", eventBridge->detailType}, {"Source", eventBridge->source}};
    }
    return out;
  }
};

// What CreateSchedule and UpdateSchedule define: everything but the firing state.
struct Definition {
  std::string name;
  std::string group;
  std::string expressionText;  // as given
  std::shared_ptr<const ScheduleExpression> expression;
  std::string zoneName = "UTC";
  TimeZone zone;
  std::optional<Micros> start;
  std::optional<Micros> end;
  std::optional<std::string> description;
  bool enabled = true;
  std::int64_t windowMinutes = 0;  // 0: FlexibleTimeWindow OFF
  Target target;
  bool deleteAfterCompletion = false;
  std::string kmsKeyArn;

  bool oneTime() const { return expression->kind() == ExpressionKind::kAt; }
  // Whether `other` fires at the same times (its pending firing can be kept).
  bool sameTiming(const Definition& other) const {
    return expressionText == other.expressionText && zoneName == other.zoneName &&
           start == other.start && end == other.end && enabled == other.enabled &&
           windowMinutes == other.windowMinutes;
  }

  // The members GetSchedule returns, less Arn and the dates of the schedule's life.
  json::object toJson() const {
    json::object window{{"Mode", windowMinutes > 0 ? "FLEXIBLE" : "OFF"}};
    if (windowMinutes > 0) window["MaximumWindowInMinutes"] = windowMinutes;
    json::object out{{"Name", name},
                     {"GroupName", group},
                     {"ScheduleExpression", expressionText},
                     {"ScheduleExpressionTimezone", zoneName},
                     {"State", enabled ? "ENABLED" : "DISABLED"},
                     {"FlexibleTimeWindow", std::move(window)},
                     {"Target", target.toJson()},
                     {"ActionAfterCompletion", deleteAfterCompletion ? "DELETE" : "NONE"}};
    if (description) out["Description"] = *description;
    if (start) out["StartDate"] = epochSeconds(*start);
    if (end) out["EndDate"] = epochSeconds(*end);
    if (!kmsKeyArn.empty()) out["KmsKeyArn"] = kmsKeyArn;
    return out;
  }
};

core::Result<Target> parseTarget(const Members& t) {
  Target target;
  auto arn = t.requiredText("Arn", 1, 1600);
  if (!arn) return arn.error();
  target.arn = std::move(arn).value();
  auto role = t.requiredText("RoleArn", 1, 1600);
  if (!role) return role.error();
  if (!isRoleArn(*role)) {
    return constraint(
        t.path("RoleArn"), *role,
        fmt::format("Member must satisfy regular expression pattern: {}", kRoleArnPattern));
  }
  target.roleArn = std::move(role).value();
  auto input = t.text("Input", 1, std::numeric_limits<std::size_t>::max());
  if (!input) return input.error();
  target.input = std::move(input).value();

  auto retry = t.structure("RetryPolicy");
  if (!retry) return retry.error();
  if (*retry) {
    auto age = (*retry)->integer("MaximumEventAgeInSeconds", 60, 86400);
    if (!age) return age.error();
    auto attempts = (*retry)->integer("MaximumRetryAttempts", 0, 185);
    if (!attempts) return attempts.error();
    target.maximumEventAge = age->value_or(kDefaultMaximumEventAge);
    target.maximumRetryAttempts = attempts->value_or(kDefaultMaximumRetryAttempts);
  }
  auto deadLetter = t.structure("DeadLetterConfig");
  if (!deadLetter) return deadLetter.error();
  if (*deadLetter) {
    auto dlq = (*deadLetter)->text("Arn", 1, 1600);
    if (!dlq) return dlq.error();
    if (*dlq && !isDeadLetterArn(**dlq)) {
      return constraint(
          (*deadLetter)->path("Arn"), **dlq,
          fmt::format("Member must satisfy regular expression pattern: {}", kDeadLetterArnPattern));
    }
    target.deadLetterArn = dlq->value_or("");
  }
  auto eventBridge = t.structure("EventBridgeParameters");
  if (!eventBridge) return eventBridge.error();
  if (*eventBridge) {
    auto detailType = (*eventBridge)->requiredText("DetailType", 1, 128);
    if (!detailType) return detailType.error();
    auto source = (*eventBridge)->requiredText("Source", 1, 256);
    if (!source) return source.error();
    if (source->starts_with("aws.")) {
      return invalid((*eventBridge)->path("Source"),
                     fmt::format("Source {} is not valid: sources starting with 'aws.' are "
                                 "reserved for AWS services.",
                                 *source));
    }
    target.eventBridge =
        EventBridgeParameters{std::move(detailType).value(), std::move(source).value()};
  }
  for (std::string_view unsupported :
       {"EcsParameters", "KinesisParameters", "SageMakerPipelineParameters", "SqsParameters"}) {
    if (t.has(unsupported)) {
      return invalid(t.path(unsupported),
                     fmt::format("Target.{} is not supported: targets are SQS standard queues, "
                                 "Lambda functions and EventBridge event buses.",
                                 unsupported));
    }
  }

  auto kind = targetKind(target.arn);
  if (!kind) {
    return invalid(t.path("Arn"),
                   fmt::format("Target Arn {} is not supported: targets are SQS standard "
                               "queues, Lambda functions and EventBridge event buses.",
                               target.arn));
  }
  target.kind = *kind;
  if (target.kind == TargetKind::kBus && !target.eventBridge) {
    return invalid(t.path("EventBridgeParameters"),
                   "EventBridgeParameters (DetailType and Source) are required for an "
                   "EventBridge event bus target.");
  }
  if (target.kind != TargetKind::kQueue && target.input) {
    // The placeholders are substituted before the target sees the input.
    std::string sample = *target.input;
    for (std::string_view p :
         {kArnPlaceholder, kTimePlaceholder, kExecutionPlaceholder, kAttemptPlaceholder}) {
      replaceAll(sample, p, "0");
    }
    auto parsed = core::parseJson(sample, "Input");
    if (!parsed || (target.kind == TargetKind::kBus && !parsed->is_object())) {
      return invalid(t.path("Input"),
                     target.kind == TargetKind::kBus
                         ? "Target.Input must be a JSON object for an event bus target: it "
                           "becomes the event's detail."
                         : "Target.Input must be well-formed JSON for a Lambda function target.");
    }
  }
  return target;
}

// The members of CreateSchedule / UpdateSchedule, with the model's constraints. (The checks
// against the present time are separate: a stored schedule is re-read with this too.)
core::Result<Definition> parseDefinition(const json::object& request) {
  Members m(request, "");
  Definition d;
  auto name = scheduleName(m);
  if (!name) return name.error();
  d.name = std::move(name).value();
  auto group = groupName(m);
  if (!group) return group.error();
  d.group = group->value_or(std::string(kDefaultGroup));

  auto text = m.requiredText("ScheduleExpression", 1, kMaxScheduleExpressionLength);
  if (!text) return text.error();
  auto expression = parseScheduleExpression(*text, ExpressionDialect::kScheduler);
  if (!expression) return expression.error();
  d.expressionText = std::move(text).value();
  d.expression = std::make_shared<const ScheduleExpression>(std::move(expression).value());
  auto zoneName = m.text("ScheduleExpressionTimezone", 1, 50);
  if (!zoneName) return zoneName.error();
  if (*zoneName) {
    auto zone = TimeZone::named(**zoneName);
    if (!zone) return zone.error();
    d.zone = std::move(zone).value();
    d.zoneName = std::move(**zoneName);
  }
  auto start = m.timestamp("StartDate");
  if (!start) return start.error();
  d.start = *start;
  auto end = m.timestamp("EndDate");
  if (!end) return end.error();
  d.end = *end;
  auto description = m.text("Description", 0, 512);
  if (!description) return description.error();
  d.description = std::move(description).value();
  auto state = m.choice("State", {"ENABLED", "DISABLED"});
  if (!state) return state.error();
  d.enabled = state->value_or("ENABLED") == "ENABLED";

  auto window = m.structure("FlexibleTimeWindow");
  if (!window) return window.error();
  if (!*window) return missing("FlexibleTimeWindow");
  auto mode = (*window)->choice("Mode", {"OFF", "FLEXIBLE"});
  if (!mode) return mode.error();
  if (!*mode) return missing((*window)->path("Mode"));
  auto minutes = (*window)->integer("MaximumWindowInMinutes", 1, 1440);
  if (!minutes) return minutes.error();
  if (**mode == "FLEXIBLE" && !*minutes) {
    return invalid((*window)->path("MaximumWindowInMinutes"),
                   "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is "
                   "FLEXIBLE.");
  }
  if (**mode == "OFF" && *minutes) {
    return invalid((*window)->path("MaximumWindowInMinutes"),
                   "MaximumWindowInMinutes must not be set when FlexibleTimeWindow Mode is OFF.");
  }
  d.windowMinutes = minutes->value_or(0);

  auto target = m.structure("Target");
  if (!target) return target.error();
  if (!*target) return missing("Target");
  auto parsedTarget = parseTarget(**target);
  if (!parsedTarget) return parsedTarget.error();
  d.target = std::move(parsedTarget).value();

  auto action = m.choice("ActionAfterCompletion", {"NONE", "DELETE"});
  if (!action) return action.error();
  d.deleteAfterCompletion = action->value_or("NONE") == "DELETE";
  auto kms = m.text("KmsKeyArn", 1, 2048);
  if (!kms) return kms.error();
  if (*kms && !isKmsKeyArn(**kms)) {
    return constraint(
        "KmsKeyArn", **kms,
        fmt::format("Member must satisfy regular expression pattern: {}", kKmsKeyArnPattern));
  }
  d.kmsKeyArn = kms->value_or("");
  return d;
}

// The checks of StartDate and EndDate against the present (recurring schedules only: a
// one-time schedule ignores both).
core::Result<void> checkDates(const Definition& d, Micros now) {
  if (d.oneTime()) return {};
  if (d.start && *d.start < now - kStartDateGrace) {
    return invalid("StartDate",
                   "The StartDate you specify cannot be earlier than 5 minutes prior to the "
                   "current time.");
  }
  if (d.end && *d.end <= now) {
    return invalid("EndDate", "The EndDate you specify cannot be earlier than the current time.");
  }
  if (d.start && d.end && *d.end <= *d.start) {
    return invalid("EndDate", "The StartDate must come before the EndDate.");
  }
  return {};
}

struct Schedule {
  std::string owner;
  Definition definition;
  std::string arn;
  std::string clientToken;  // of the CreateSchedule that made it
  Micros created = 0;
  Micros modified = 0;
  Micros anchor = 0;           // where a rate counts from when there is no StartDate: creation
  std::optional<Micros> next;  // scheduled time of the next firing; none: nothing left
  Micros due = 0;              // when that firing happens: `next` plus the flexible offset
  std::optional<Micros> last;  // scheduled time of the latest firing

  json::object record() const {
    json::object out{{"owner", owner},
                     {"definition", definition.toJson()},
                     {"clientToken", clientToken},
                     {"created", created},
                     {"modified", modified},
                     {"anchor", anchor},
                     {"due", due}};
    if (next) out["next"] = *next;
    if (last) out["last"] = *last;
    return out;
  }
};

std::string ownerPrefix(std::string_view owner) {
  std::string key(kKeyPrefix);
  key += owner;
  key += '\0';
  return key;
}

std::string scheduleKey(std::string_view owner, std::string_view group, std::string_view name) {
  std::string key = ownerPrefix(owner);
  key += group;
  key += '\0';
  key += name;
  return key;
}

}  // namespace

class SchedulerEngine::Impl {
 public:
  Impl(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids, bus::BusEngine& bus,
       SchedulerOptions options)
      : storage_(storage),
        clock_(clock),
        ids_(ids),
        bus_(bus),
        options_(std::move(options)),
        random_(options_.randomSeed ? *options_.randomSeed : std::random_device{}()) {}

  ~Impl() { stop(); }

  core::Result<void> open();
  void start();
  void stop();
  core::Result<json::object> call(std::string_view owner, std::string_view operation,
                                  const json::object& request);
  std::size_t fireDue();

 private:
  core::Result<json::object> createSchedule(std::string_view owner, const json::object& r);
  core::Result<json::object> getSchedule(std::string_view owner, const json::object& r);
  core::Result<json::object> updateSchedule(std::string_view owner, const json::object& r);
  core::Result<json::object> deleteSchedule(std::string_view owner, const json::object& r);
  core::Result<json::object> listSchedules(std::string_view owner, const json::object& r);

  // The schedule `owner` names by the Name and GroupName members of `r`.
  core::Result<std::string> existingKey(std::string_view owner, const json::object& r)
      REQUIRES(mu_);
  std::string arnOf(std::string_view group, std::string_view name) const {
    return fmt::format("arn:aws:scheduler:{}:{}:schedule/{}/{}", options_.region,
                       options_.accountId, group, name);
  }
  // Sets the next firing strictly after `after` (none when disabled or exhausted) and, with
  // a flexible window, draws its offset.
  void plan(Schedule& s, Micros after) REQUIRES(mu_);
  // Replaces (or with nullopt removes) the schedule at `key`, in memory and in the due index.
  void install(const std::string& key, std::optional<Schedule> schedule) REQUIRES(mu_);
  std::string payload(const Schedule& s, Micros scheduled, Micros now) const;
  // Fires at most kMaxFiringsPerBatch due schedules in one batch; how many fired.
  std::size_t fireBatch(Micros now);
  void run();

  storage::Storage& storage_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  bus::BusEngine& bus_;
  SchedulerOptions options_;

  // Guards the schedules; storage writes of schedule records happen under it, so a firing
  // and a control-plane change of the same schedule never overwrite each other.
  core::Mutex mu_;
  std::map<std::string, Schedule> schedules_ GUARDED_BY(mu_);          // by scheduleKey()
  std::set<std::pair<Micros, std::string>> dueIndex_ GUARDED_BY(mu_);  // (due, key)
  std::mt19937_64 random_ GUARDED_BY(mu_);
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread firing_;
};

core::Result<void> SchedulerEngine::Impl::open() {
  std::unique_ptr<rocksdb::Iterator> it(storage_.db().NewIterator(
      rocksdb::ReadOptions(), storage_.family(storage::Family::kSchedules)));
  core::MutexLock lock(mu_);
  for (it->Seek(std::string(kKeyPrefix)); it->Valid() && it->key().starts_with(kKeyPrefix);
       it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored schedule");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt schedule record");
    const json::object& o = doc->get_object();
    auto definition = o.find("definition");
    if (definition == o.end() || !definition->value().is_object()) {
      return core::Error::internal("corrupt schedule record");
    }
    auto parsed = parseDefinition(definition->value().get_object());
    if (!parsed) return core::Error::internal("stored schedule no longer valid");
    auto integer = [&](std::string_view name) -> std::optional<Micros> {
      auto m = o.find(name);
      return m == o.end() ? std::nullopt : core::integerValue(m->value());
    };
    Schedule s;
    s.owner = std::string(core::stringMember(o, "owner").value_or(""));
    s.definition = std::move(parsed).value();
    s.arn = arnOf(s.definition.group, s.definition.name);
    s.clientToken = std::string(core::stringMember(o, "clientToken").value_or(""));
    s.created = integer("created").value_or(0);
    s.modified = integer("modified").value_or(s.created);
    s.anchor = integer("anchor").value_or(s.created);
    s.next = integer("next");
    s.due = integer("due").value_or(s.next.value_or(0));
    s.last = integer("last");
    std::string key = it->key().ToString();
    install(key, std::move(s));
  }
  if (!it->status().ok()) return core::Error::internal("reading schedules failed");
  return {};
}

void SchedulerEngine::Impl::start() {
  core::MutexLock lock(mu_);
  if (firing_.joinable()) return;
  stopping_ = false;
  firing_ = std::thread([this] { run(); });
}

void SchedulerEngine::Impl::stop() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (firing_.joinable()) firing_.join();
}

void SchedulerEngine::Impl::run() {
  while (true) {
    std::size_t fired = fireDue();
    core::MutexLock lock(mu_);
    if (stopping_) return;
    if (fired > 0) continue;
    // Nothing fired: sleep until the earliest due time (a due schedule that did not fire
    // failed to commit; it is retried after the idle wait).
    auto wait = options_.idleWait;
    if (!dueIndex_.empty()) {
      Micros until = dueIndex_.begin()->first - toMicros(clock_.wallNow());
      if (until > 0) wait = std::min(wait, std::chrono::milliseconds(until / 1000 + 1));
    }
    wake_.wait_for(lock.native(), wait);
    if (stopping_) return;
  }
}

core::Result<json::object> SchedulerEngine::Impl::call(std::string_view owner,
                                                       std::string_view operation,
                                                       const json::object& request) {
  if (operation == "CreateSchedule") return createSchedule(owner, request);
  if (operation == "GetSchedule") return getSchedule(owner, request);
  if (operation == "UpdateSchedule") return updateSchedule(owner, request);
  if (operation == "DeleteSchedule") return deleteSchedule(owner, request);
  if (operation == "ListSchedules") return listSchedules(owner, request);
  return core::Error("UnknownOperationException", 400,
                     fmt::format("Operation {} is not supported.", operation));
}

void SchedulerEngine::Impl::plan(Schedule& s, Micros after) {
  const Definition& d = s.definition;
  s.next.reset();
  if (!d.enabled) return;
  Micros anchor = s.anchor;
  if (!d.oneTime() && d.start) {
    anchor = *d.start;
    after = std::max(after, *d.start - 1);  // StartDate itself may be a firing
  }
  auto next = nextFiring(*d.expression, fromMicros(after), d.zone, fromMicros(anchor));
  if (!next) return;
  Micros scheduled = toMicros(*next);
  if (!d.oneTime() && d.end && scheduled >= *d.end) return;
  s.next = scheduled;
  s.due = scheduled;
  if (d.windowMinutes > 0) {
    std::uniform_int_distribution<Micros> offset(0, d.windowMinutes * kMicrosPerMinute - 1);
    s.due += offset(random_);
  }
}

void SchedulerEngine::Impl::install(const std::string& key, std::optional<Schedule> schedule) {
  if (auto it = schedules_.find(key); it != schedules_.end()) {
    if (it->second.next) dueIndex_.erase({it->second.due, key});
    if (!schedule) {
      schedules_.erase(it);
      return;
    }
  }
  if (!schedule) return;
  if (schedule->next) dueIndex_.emplace(schedule->due, key);
  schedules_.insert_or_assign(key, std::move(*schedule));
}

core::Result<std::string> SchedulerEngine::Impl::existingKey(std::string_view owner,
                                                             const json::object& r) {
  Members m(r, "");
  auto name = scheduleName(m);
  if (!name) return name.error();
  auto group = groupName(m);
  if (!group) return group.error();
  std::string groupName = group->value_or(std::string(kDefaultGroup));
  if (groupName != kDefaultGroup) return groupNotFound(groupName);
  std::string key = scheduleKey(owner, groupName, *name);
  if (!schedules_.contains(key)) {
    return core::Error::notFound(fmt::format("Schedule {} does not exist.", *name));
  }
  return key;
}

core::Result<json::object> SchedulerEngine::Impl::createSchedule(std::string_view owner,
                                                                 const json::object& r) {
  auto definition = parseDefinition(r);
  if (!definition) return definition.error();
  if (auto token = checkClientToken(Members(r, "")); !token) return token.error();
  Micros now = toMicros(clock_.wallNow());
  if (auto dates = checkDates(*definition, now); !dates) return dates.error();
  if (definition->group != kDefaultGroup) return groupNotFound(definition->group);
  std::string clientToken(core::stringMember(r, "ClientToken").value_or(""));

  core::MutexLock lock(mu_);
  std::string key = scheduleKey(owner, definition->group, definition->name);
  if (auto it = schedules_.find(key); it != schedules_.end()) {
    // A retry of the request that created it (same client token) succeeds again.
    if (!clientToken.empty() && it->second.clientToken == clientToken) {
      return json::object{{"ScheduleArn", it->second.arn}};
    }
    return core::Error::conflict("ConflictException",
                                 fmt::format("Schedule {} already exists.", definition->name));
  }
  Schedule s;
  s.owner = std::string(owner);
  s.definition = std::move(definition).value();
  s.arn = arnOf(s.definition.group, s.definition.name);
  s.clientToken = std::move(clientToken);
  s.created = now;
  s.modified = now;
  s.anchor = now;
  plan(s, now - 1);  // a rate fires at its anchor first: now, or StartDate
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kSchedules), key, core::toJson(s.record()));
  if (auto w = storage_.write(batch); !w) return w.error();
  json::object response{{"ScheduleArn", s.arn}};
  install(key, std::move(s));
  wake_.notify_all();
  return response;
}

core::Result<json::object> SchedulerEngine::Impl::getSchedule(std::string_view owner,
                                                              const json::object& r) {
  core::MutexLock lock(mu_);
  auto key = existingKey(owner, r);
  if (!key) return key.error();
  const Schedule& s = schedules_.at(*key);
  json::object out = s.definition.toJson();
  out["Arn"] = s.arn;
  out["CreationDate"] = epochSeconds(s.created);
  out["LastModificationDate"] = epochSeconds(s.modified);
  return out;
}

core::Result<json::object> SchedulerEngine::Impl::updateSchedule(std::string_view owner,
                                                                 const json::object& r) {
  auto definition = parseDefinition(r);
  if (!definition) return definition.error();
  if (auto token = checkClientToken(Members(r, "")); !token) return token.error();
  Micros now = toMicros(clock_.wallNow());
  if (auto dates = checkDates(*definition, now); !dates) return dates.error();

  core::MutexLock lock(mu_);
  auto key = existingKey(owner, r);
  if (!key) return key.error();
  Schedule s = schedules_.at(*key);
  bool keepFiring = s.definition.sameTiming(*definition);
  s.definition = std::move(definition).value();
  s.modified = now;
  // A change of timing plans afresh from now; otherwise the pending firing (and its
  // flexible offset) stays. Never twice for one scheduled time.
  if (!keepFiring) plan(s, std::max(now - 1, s.last.value_or(now - 1)));
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kSchedules), *key, core::toJson(s.record()));
  if (auto w = storage_.write(batch); !w) return w.error();
  json::object response{{"ScheduleArn", s.arn}};
  install(*key, std::move(s));
  wake_.notify_all();
  return response;
}

core::Result<json::object> SchedulerEngine::Impl::deleteSchedule(std::string_view owner,
                                                                 const json::object& r) {
  if (auto token = checkClientToken(Members(r, "")); !token) return token.error();
  core::MutexLock lock(mu_);
  auto key = existingKey(owner, r);
  if (!key) return key.error();
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kSchedules), *key);
  if (auto w = storage_.write(batch); !w) return w.error();
  install(*key, std::nullopt);
  return json::object{};
}

core::Result<json::object> SchedulerEngine::Impl::listSchedules(std::string_view owner,
                                                                const json::object& r) {
  Members m(r, "");
  auto group = groupName(m);
  if (!group) return group.error();
  auto prefix = m.text("NamePrefix", 1, 64);
  if (!prefix) return prefix.error();
  if (*prefix && !isNamePrefix(**prefix)) {
    return constraint("NamePrefix", **prefix,
                      "Member must satisfy regular expression pattern: ^[a-zA-Z][0-9a-zA-Z-_]*$");
  }
  auto state = m.choice("State", {"ENABLED", "DISABLED"});
  if (!state) return state.error();
  auto maxResults = m.integer("MaxResults", 1, kMaxListResults);
  if (!maxResults) return maxResults.error();
  auto token = m.text("NextToken", 1, 2048);
  if (!token) return token.error();
  if (*group && **group != kDefaultGroup) return groupNotFound(**group);

  // The token is the (group, name) of the last schedule returned, base64-encoded.
  std::string begin = ownerPrefix(owner);
  std::string ownerKeys = begin;
  if (*token) {
    auto decoded = core::base64Decode(**token);
    if (!decoded || decoded->find('\0') == std::string::npos) {
      return invalid("NextToken", "The NextToken is not valid.");
    }
    begin += *decoded;
  }
  std::size_t limit = static_cast<std::size_t>(maxResults->value_or(kMaxListResults));
  json::array out;
  std::optional<std::string> nextToken;
  core::MutexLock lock(mu_);
  auto it = *token ? schedules_.upper_bound(begin) : schedules_.lower_bound(begin);
  for (; it != schedules_.end() && it->first.starts_with(ownerKeys); ++it) {
    const Schedule& s = it->second;
    const Definition& d = s.definition;
    if (*group && d.group != **group) continue;
    if (*prefix && !d.name.starts_with(**prefix)) continue;
    if (*state && (**state == "ENABLED") != d.enabled) continue;
    if (out.size() == limit) {
      const json::object& last = out.back().as_object();
      std::string position(last.at("GroupName").as_string());
      position += '\0';
      position += last.at("Name").as_string();
      nextToken = core::base64Encode(position);
      break;
    }
    out.push_back(json::object{{"Arn", s.arn},
                               {"CreationDate", epochSeconds(s.created)},
                               {"GroupName", d.group},
                               {"LastModificationDate", epochSeconds(s.modified)},
                               {"Name", d.name},
                               {"State", d.enabled ? "ENABLED" : "DISABLED"},
                               {"Target", json::object{{"Arn", d.target.arn}}}});
  }
  json::object response{{"Schedules", std::move(out)}};
  if (nextToken) response["NextToken"] = *nextToken;
  return response;
}

std::string SchedulerEngine::Impl::payload(const Schedule& s, Micros scheduled, Micros now) const {
  const Target& target = s.definition.target;
  std::string input = target.input.value_or("{}");
  replaceAll(input, kArnPlaceholder, s.arn);
  replaceAll(input, kTimePlaceholder, isoSeconds(scheduled));
  replaceAll(input, kExecutionPlaceholder, ids_.uuid());
  replaceAll(input, kAttemptPlaceholder, "1");
  if (target.kind != TargetKind::kBus) return input;
  // PutEvents to the bus: the input is the event's detail.
  auto detail = core::parseJson(input, "Input");
  json::object event{
      {"version", "0"},
      {"id", ids_.uuid()},
      {"detail-type", target.eventBridge->detailType},
      {"source", target.eventBridge->source},
      {"account", options_.accountId},
      {"time", isoSeconds(now)},
      {"region", options_.region},
      {"resources", json::array{json::value(s.arn)}},
      {"detail", detail && detail->is_object() ? std::move(detail).value() : json::object{}}};
  return core::toJson(event);
}

std::size_t SchedulerEngine::Impl::fireDue() {
  std::size_t total = 0;
  while (true) {
    std::size_t fired = fireBatch(toMicros(clock_.wallNow()));
    total += fired;
    if (fired < kMaxFiringsPerBatch) return total;
  }
}

std::size_t SchedulerEngine::Impl::fireBatch(Micros now) {
  std::vector<std::function<void()>> afterCommit;
  std::size_t fired = 0;
  {
    core::MutexLock lock(mu_);
    rocksdb::WriteBatch batch;
    std::vector<std::pair<std::string, std::optional<Schedule>>> changes;
    for (auto it = dueIndex_.begin();
         it != dueIndex_.end() && it->first <= now && changes.size() < kMaxFiringsPerBatch; ++it) {
      const std::string& key = it->second;
      Schedule s = schedules_.at(key);
      const Target& target = s.definition.target;
      Micros scheduled = *s.next;
      bus::DeliveryRequest delivery;
      delivery.owner = s.owner;
      delivery.sourceArn = s.arn;
      delivery.sourceAttribute = "SCHEDULE_ARN";
      delivery.targetArn = target.arn;
      delivery.payload = payload(s, scheduled, now);
      delivery.deadLetterArn = target.deadLetterArn;
      delivery.maxAgeSeconds = target.maximumEventAge;
      delivery.maxAttempts = target.maximumRetryAttempts;
      afterCommit.push_back(bus_.stageDelivery(delivery, batch));
      s.last = scheduled;
      plan(s, now - s.due > kMissedAfter ? now : scheduled);
      if (!s.next && s.definition.deleteAfterCompletion) {
        batch.Delete(storage_.family(storage::Family::kSchedules), key);
        changes.emplace_back(key, std::nullopt);
      } else {
        batch.Put(storage_.family(storage::Family::kSchedules), key, core::toJson(s.record()));
        changes.emplace_back(key, std::move(s));
      }
    }
    if (changes.empty()) return 0;
    // On failure nothing changed: the schedules stay due and fire on a later round.
    if (!storage_.write(batch)) return 0;
    for (auto& [key, schedule] : changes) install(key, std::move(schedule));
    fired = changes.size();
  }
  for (auto& run : afterCommit) run();
  return fired;
}

SchedulerEngine::SchedulerEngine(storage::Storage& storage, core::Clock& clock,
                                 core::IdGenerator& ids, bus::BusEngine& bus,
                                 SchedulerOptions options)
    : impl_(std::make_unique<Impl>(storage, clock, ids, bus, std::move(options))) {}

SchedulerEngine::~SchedulerEngine() = default;

core::Result<void> SchedulerEngine::open() { return impl_->open(); }

void SchedulerEngine::start() { impl_->start(); }

void SchedulerEngine::stop() { impl_->stop(); }

core::Result<json::object> SchedulerEngine::call(std::string_view owner, std::string_view operation,
                                                 const json::object& request) {
  return impl_->call(owner, operation, request);
}

std::size_t SchedulerEngine::fireDueForTest() { return impl_->fireDue(); }

}  // namespace bakery::scheduler
