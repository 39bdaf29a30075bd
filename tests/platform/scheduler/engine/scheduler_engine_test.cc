// SchedulerEngine on a real store and a real BusEngine, with a ManualClock: the schedule
// operations and their validation, and firings delivered through the bus's dispatcher to a
// queue sink that writes into the bus's own batch (so what "arrived" is what committed).
#include "platform/scheduler/engine/scheduler_engine.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/bus/engine/recording_sinks.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::scheduler {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kQueue = "arn:aws:sqs:us-east-1:000000000000:orders";
constexpr std::string_view kDlq = "arn:aws:sqs:us-east-1:000000000000:dlq";
constexpr std::string_view kFunction = "arn:aws:lambda:us-east-1:000000000000:function:f";
constexpr std::string_view kRole = "arn:aws:iam::000000000000:role/scheduler";
constexpr std::string_view kArnPrefix = "arn:aws:scheduler:us-east-1:000000000000:schedule/";
constexpr std::int64_t kStart = 1705276800;  // 2024-01-15T00:00:00Z

// Queues `orders` and `dlq` exist; messages are recorded once the bus's batch committed.
using bus::Message;
using QueueSinks = bus::RecordingSinks;

json::object parse(std::string_view text) { return core::parseJson(text, "json")->as_object(); }

// A CreateSchedule request to the queue, FlexibleTimeWindow OFF.
json::object request(std::string_view name, std::string_view expression) {
  return {{"Name", name},
          {"ScheduleExpression", expression},
          {"FlexibleTimeWindow", json::object{{"Mode", "OFF"}}},
          {"Target", json::object{{"Arn", kQueue}, {"RoleArn", kRole}}}};
}

class SchedulerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    auto s = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(s.ok()) << s.error().message();
    storage_ = std::move(s).value();
    bus::BusOptions busOptions;
    busOptions.startDispatcher = false;
    bus_ = std::make_unique<bus::BusEngine>(*storage_, clock_, ids_, sinks_, busOptions);
    ASSERT_TRUE(bus_->open().ok());
    SchedulerOptions options;
    options.randomSeed = 7;
    engine_ = std::make_unique<SchedulerEngine>(*storage_, clock_, ids_, *bus_, options);
    auto opened = engine_->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message();
  }
  void reopen() {
    engine_.reset();
    bus_.reset();
    storage_.reset();
    open();
  }

  json::object call(std::string_view op, const json::object& r, std::string_view owner = "") {
    auto result = engine_->call(owner, op, r);
    EXPECT_TRUE(result.ok()) << op << ": " << result.error().message();
    return result.ok() ? result.value() : json::object{};
  }
  core::Error fails(std::string_view op, const json::object& r, std::string_view owner = "") {
    auto result = engine_->call(owner, op, r);
    EXPECT_FALSE(result.ok()) << op << " succeeded";
    return result.ok() ? core::Error::internal() : result.error();
  }
  json::object get(std::string_view name) { return call("GetSchedule", {{"Name", name}}); }

  // Fires what is due, delivers it through the bus, and returns the queue messages that
  // arrived meanwhile.
  std::vector<Message> run() {
    engine_->fireDueForTest();
    while (bus_->dispatchDueForTest() > 0) {
    }
    std::vector<Message> out;
    out.swap(sinks_.received);
    return out;
  }
  // Steps the clock to kStart + `offset`, one minute at a time, running each minute; the
  // messages that arrived on the way.
  std::vector<Message> runUntil(std::chrono::seconds offset) {
    std::vector<Message> out;
    auto target = core::Clock::WallTime(std::chrono::seconds(kStart) + offset);
    while (clock_.wallNow() < target) {
      clock_.advance(std::min<core::Clock::WallTime::duration>(1min, target - clock_.wallNow()));
      for (Message& m : run()) out.push_back(std::move(m));
    }
    return out;
  }

  testing::TempDir dir_;
  core::ManualClock clock_{core::Clock::WallTime(std::chrono::seconds(kStart))};
  core::RandomIdGenerator ids_;
  QueueSinks sinks_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<bus::BusEngine> bus_;
  std::unique_ptr<SchedulerEngine> engine_;
};

TEST_F(SchedulerEngineTest, CreateThenGetReturnsEveryMemberWithTheDefaults) {
  json::object created = call("CreateSchedule", request("daily", "rate(1 day)"));
  EXPECT_EQ(created.at("ScheduleArn").as_string(), fmt::format("{}default/daily", kArnPrefix));

  json::object s = get("daily");
  EXPECT_EQ(s.at("Arn").as_string(), created.at("ScheduleArn").as_string());
  EXPECT_EQ(s.at("Name").as_string(), "daily");
  EXPECT_EQ(s.at("GroupName").as_string(), "default");
  EXPECT_EQ(s.at("ScheduleExpression").as_string(), "rate(1 day)");
  EXPECT_EQ(s.at("ScheduleExpressionTimezone").as_string(), "UTC");
  EXPECT_EQ(s.at("State").as_string(), "ENABLED");
  EXPECT_EQ(s.at("ActionAfterCompletion").as_string(), "NONE");
  EXPECT_EQ(s.at("FlexibleTimeWindow"), json::value(json::object{{"Mode", "OFF"}}));
  EXPECT_EQ(s.at("CreationDate").as_int64(), kStart);
  EXPECT_EQ(s.at("LastModificationDate").as_int64(), kStart);
  const json::object& target = s.at("Target").as_object();
  EXPECT_EQ(target.at("Arn").as_string(), kQueue);
  EXPECT_EQ(target.at("RoleArn").as_string(), kRole);
  EXPECT_EQ(target.at("RetryPolicy"), json::value(parse(R"({"MaximumEventAgeInSeconds":86400,
                                                           "MaximumRetryAttempts":185})")));
  EXPECT_FALSE(s.contains("Description"));
  EXPECT_FALSE(s.contains("StartDate"));
  EXPECT_FALSE(target.contains("Input"));
}

TEST_F(SchedulerEngineTest, CreateEchoesEveryOptionalMember) {
  json::object r = request("full", "cron(0 9 ? * MON-FRI *)");
  r["ScheduleExpressionTimezone"] = "Europe/Paris";
  r["StartDate"] = kStart + 60;
  r["EndDate"] = kStart + 86400;
  r["Description"] = "weekday mornings";
  r["State"] = "DISABLED";
  r["FlexibleTimeWindow"] = parse(R"({"Mode":"FLEXIBLE","MaximumWindowInMinutes":10})");
  r["ActionAfterCompletion"] = "DELETE";
  r["KmsKeyArn"] = "arn:aws:kms:us-east-1:000000000000:key/abc-123";
  r["ClientToken"] = "token-1";
  json::object& target = r["Target"].as_object();
  target["Input"] = R"({"hello":"world"})";
  target["RetryPolicy"] = parse(R"({"MaximumEventAgeInSeconds":600,"MaximumRetryAttempts":3})");
  target["DeadLetterConfig"] = json::object{{"Arn", kDlq}};
  call("CreateSchedule", r);

  json::object s = get("full");
  for (std::string_view member :
       {"ScheduleExpressionTimezone", "StartDate", "EndDate", "Description", "State",
        "FlexibleTimeWindow", "ActionAfterCompletion", "KmsKeyArn"}) {
    EXPECT_EQ(s.at(member), r.at(member)) << member;
  }
  EXPECT_FALSE(s.contains("ClientToken"));
  EXPECT_EQ(s.at("Target").at("Input"), target.at("Input"));
  EXPECT_EQ(s.at("Target").at("RetryPolicy"), target.at("RetryPolicy"));
  EXPECT_EQ(s.at("Target").at("DeadLetterConfig"), target.at("DeadLetterConfig"));
}

TEST_F(SchedulerEngineTest, CreateRejectsMembersTheModelDoesNotAllow) {
  struct Case {
    std::function<void(json::object&)> change;
    std::string message;  // the start of the message
  };
  auto target = [](json::object& r) -> json::object& { return r["Target"].as_object(); };
  std::vector<Case> cases = {
      {[](json::object& r) { r["Name"] = "no spaces"; },
       "1 validation error detected: Value 'no spaces' at 'name' failed to satisfy constraint: "
       "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$"},
      {[](json::object& r) { r["Name"] = std::string(65, 'a'); },
       fmt::format("1 validation error detected: Value '{}' at 'name' failed to satisfy "
                   "constraint: Member must have length less than or equal to 64",
                   std::string(65, 'a'))},
      {[](json::object& r) { r.erase("FlexibleTimeWindow"); },
       "1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy "
       "constraint: Member must not be null"},
      {[](json::object& r) { r["FlexibleTimeWindow"] = parse(R"({"Mode":"SOMETIMES"})"); },
       "1 validation error detected: Value 'SOMETIMES' at 'flexibleTimeWindow.mode' failed to "
       "satisfy constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]"},
      {[](json::object& r) { r["FlexibleTimeWindow"] = parse(R"({"Mode":"FLEXIBLE"})"); },
       "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE."},
      {[](json::object& r) {
         r["FlexibleTimeWindow"] = parse(R"({"Mode":"OFF","MaximumWindowInMinutes":5})");
       },
       "MaximumWindowInMinutes must not be set when FlexibleTimeWindow Mode is OFF."},
      {[](json::object& r) {
         r["FlexibleTimeWindow"] = parse(R"({"Mode":"FLEXIBLE","MaximumWindowInMinutes":1441})");
       },
       "1 validation error detected: Value '1441' at 'flexibleTimeWindow.maximumWindowInMinutes' "
       "failed to satisfy constraint: Member must have value less than or equal to 1440"},
      {[](json::object& r) { r.erase("ScheduleExpression"); },
       "1 validation error detected: Value null at 'scheduleExpression'"},
      {[](json::object& r) { r["ScheduleExpression"] = "rate(1 hours)"; },
       "Invalid Schedule Expression rate(1 hours)"},
      {[](json::object& r) { r["ScheduleExpressionTimezone"] = "Mars/Olympus_Mons"; },
       "Invalid ScheduleExpressionTimezone Mars/Olympus_Mons"},
      {[](json::object& r) { r["State"] = "ON"; },
       "1 validation error detected: Value 'ON' at 'state' failed to satisfy constraint: Member "
       "must satisfy enum value set: [ENABLED, DISABLED]"},
      {[](json::object& r) { r["ActionAfterCompletion"] = "KEEP"; },
       "1 validation error detected: Value 'KEEP' at 'actionAfterCompletion' failed to satisfy "
       "constraint: Member must satisfy enum value set: [NONE, DELETE]"},
      {[](json::object& r) { r["Description"] = std::string(513, 'd'); },
       "1 validation error detected: Value 'ddd"},
      {[](json::object& r) { r["StartDate"] = kStart - 600; },
       "The StartDate you specify cannot be earlier than 5 minutes prior to the current time."},
      {[](json::object& r) {
         r["StartDate"] = kStart + 3600;
         r["EndDate"] = kStart + 1800;
       },
       "The StartDate must come before the EndDate."},
      {[](json::object& r) { r["EndDate"] = "tomorrow"; },
       "Value at 'endDate' must be a timestamp (epoch seconds)"},
      {[](json::object& r) { r["KmsKeyArn"] = "my-key"; },
       "1 validation error detected: Value 'my-key' at 'kmsKeyArn'"},
      {[&](json::object& r) { target(r).erase("RoleArn"); },
       "1 validation error detected: Value null at 'target.roleArn' failed to satisfy "
       "constraint: Member must not be null"},
      {[&](json::object& r) { target(r)["RoleArn"] = "scheduler-role"; },
       "1 validation error detected: Value 'scheduler-role' at 'target.roleArn' failed to "
       "satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws"},
      {[&](json::object& r) {
         target(r)["RetryPolicy"] = parse(R"({"MaximumRetryAttempts":186})");
       },
       "1 validation error detected: Value '186' at 'target.retryPolicy.maximumRetryAttempts' "
       "failed to satisfy constraint: Member must have value less than or equal to 185"},
      {[&](json::object& r) {
         target(r)["RetryPolicy"] = parse(R"({"MaximumEventAgeInSeconds":59})");
       },
       "1 validation error detected: Value '59' at 'target.retryPolicy.maximumEventAgeInSeconds' "
       "failed to satisfy constraint: Member must have value greater than or equal to 60"},
      {[&](json::object& r) {
         target(r)["DeadLetterConfig"] = json::object{{"Arn", kFunction}};
       },
       fmt::format("1 validation error detected: Value '{}' at 'target.deadLetterConfig.arn'",
                   kFunction)},
      {[&](json::object& r) { target(r)["Arn"] = "arn:aws:ecs:us-east-1:000000000000:cluster/c"; },
       "Target Arn arn:aws:ecs:us-east-1:000000000000:cluster/c is not supported"},
      {[&](json::object& r) {
         target(r)["Arn"] = kFunction;
         target(r)["Input"] = "not json";
       },
       "Target.Input must be well-formed JSON for a Lambda function target."},
      {[&](json::object& r) {
         target(r)["Arn"] = "arn:aws:events:us-east-1:000000000000:event-bus/default";
       },
       "EventBridgeParameters (DetailType and Source) are required"},
  };
  for (const Case& c : cases) {
    json::object r = request("s", "rate(1 hour)");
    c.change(r);
    core::Error e = fails("CreateSchedule", r);
    EXPECT_EQ(e.type(), "ValidationException") << c.message;
    EXPECT_EQ(e.status(), 400);
    EXPECT_TRUE(e.message().starts_with(c.message)) << e.message() << "\nexpected: " << c.message;
  }
  EXPECT_EQ(call("ListSchedules", {}).at("Schedules").as_array().size(), 0u);
}

TEST_F(SchedulerEngineTest, CreatingAnExistingNameConflictsUnlessTheClientTokenRepeats) {
  json::object r = request("daily", "rate(1 day)");
  r["ClientToken"] = "first";
  std::string arn(call("CreateSchedule", r).at("ScheduleArn").as_string());
  // A retry of the same request (same token) succeeds again without a second schedule.
  EXPECT_EQ(call("CreateSchedule", r).at("ScheduleArn").as_string(), arn);
  r["ClientToken"] = "second";
  core::Error e = fails("CreateSchedule", r);
  EXPECT_EQ(e.type(), "ConflictException");
  EXPECT_EQ(e.status(), 409);
  EXPECT_EQ(e.message(), "Schedule daily already exists.");
  EXPECT_EQ(call("ListSchedules", {}).at("Schedules").as_array().size(), 1u);
}

TEST_F(SchedulerEngineTest, OnlyTheDefaultGroupExists) {
  json::object r = request("daily", "rate(1 day)");
  r["GroupName"] = "reports";
  core::Error e = fails("CreateSchedule", r);
  EXPECT_EQ(e.type(), "ResourceNotFoundException");
  EXPECT_EQ(e.status(), 404);
  EXPECT_EQ(e.message(), "Schedule group reports does not exist.");
  call("CreateSchedule", request("daily", "rate(1 day)"));
  EXPECT_EQ(fails("GetSchedule", {{"Name", "daily"}, {"GroupName", "reports"}}).message(),
            "Schedule group reports does not exist.");
  EXPECT_EQ(fails("ListSchedules", {{"GroupName", "reports"}}).type(), "ResourceNotFoundException");
  EXPECT_EQ(call("GetSchedule", {{"Name", "daily"}, {"GroupName", "default"}}).at("Name"), "daily");
  core::Error missing = fails("GetSchedule", {{"Name", "weekly"}});
  EXPECT_EQ(missing.type(), "ResourceNotFoundException");
  EXPECT_EQ(missing.message(), "Schedule weekly does not exist.");
}

TEST_F(SchedulerEngineTest, UpdateReplacesTheWholeDefinition) {
  json::object r = request("report", "rate(1 hour)");
  r["Description"] = "hourly";
  r["Target"].as_object()["Input"] = R"({"v":1})";
  call("CreateSchedule", r);
  clock_.advance(90s);

  json::object update = request("report", "cron(30 6 * * ? *)");
  update["State"] = "DISABLED";
  EXPECT_EQ(call("UpdateSchedule", update).at("ScheduleArn").as_string(),
            fmt::format("{}default/report", kArnPrefix));
  json::object s = get("report");
  EXPECT_EQ(s.at("ScheduleExpression").as_string(), "cron(30 6 * * ? *)");
  EXPECT_EQ(s.at("State").as_string(), "DISABLED");
  EXPECT_FALSE(s.contains("Description"));  // not given again: gone
  EXPECT_FALSE(s.at("Target").as_object().contains("Input"));
  EXPECT_EQ(s.at("CreationDate").as_int64(), kStart);
  EXPECT_EQ(s.at("LastModificationDate").as_int64(), kStart + 90);

  core::Error e = fails("UpdateSchedule", request("nothing", "rate(1 hour)"));
  EXPECT_EQ(e.type(), "ResourceNotFoundException");
  EXPECT_EQ(e.message(), "Schedule nothing does not exist.");
  json::object invalid = request("report", "rate(0 hours)");
  EXPECT_EQ(fails("UpdateSchedule", invalid).type(), "ValidationException");
}

TEST_F(SchedulerEngineTest, DeleteRemovesTheScheduleAndItsFirings) {
  call("CreateSchedule", request("minutely", "rate(1 minute)"));
  EXPECT_EQ(run().size(), 1u);
  EXPECT_EQ(call("DeleteSchedule", {{"Name", "minutely"}, {"ClientToken", "abc"}}), json::object{});
  EXPECT_EQ(fails("GetSchedule", {{"Name", "minutely"}}).type(), "ResourceNotFoundException");
  core::Error again = fails("DeleteSchedule", {{"Name", "minutely"}});
  EXPECT_EQ(again.status(), 404);
  EXPECT_EQ(again.message(), "Schedule minutely does not exist.");
  EXPECT_TRUE(runUntil(10min).empty());
}

TEST_F(SchedulerEngineTest, ListFiltersByPrefixAndStateAndPages) {
  for (std::string_view name : {"alpha-1", "alpha-2", "alpha-3", "beta"}) {
    json::object r = request(name, "rate(1 hour)");
    if (name == "beta") r["State"] = "DISABLED";
    call("CreateSchedule", r);
  }
  auto names = [](const json::object& page) {
    std::vector<std::string> out;
    for (const json::value& s : page.at("Schedules").as_array()) {
      out.emplace_back(s.at("Name").as_string());
    }
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(call("ListSchedules", {{"NamePrefix", "alpha"}})),
            (Names{"alpha-1", "alpha-2", "alpha-3"}));
  EXPECT_EQ(names(call("ListSchedules", {{"State", "DISABLED"}})), (Names{"beta"}));

  json::object page = call("ListSchedules", {{"MaxResults", 2}, {"GroupName", "default"}});
  EXPECT_EQ(names(page), (Names{"alpha-1", "alpha-2"}));
  ASSERT_TRUE(page.contains("NextToken"));
  json::object rest = call("ListSchedules", {{"MaxResults", 2}, {"NextToken", page["NextToken"]}});
  EXPECT_EQ(names(rest), (Names{"alpha-3", "beta"}));
  EXPECT_FALSE(rest.contains("NextToken"));

  const json::object& summary = rest.at("Schedules").as_array()[1].as_object();
  EXPECT_EQ(summary.at("Arn").as_string(), fmt::format("{}default/beta", kArnPrefix));
  EXPECT_EQ(summary.at("GroupName").as_string(), "default");
  EXPECT_EQ(summary.at("State").as_string(), "DISABLED");
  EXPECT_EQ(summary.at("CreationDate").as_int64(), kStart);
  EXPECT_EQ(summary.at("LastModificationDate").as_int64(), kStart);
  EXPECT_EQ(summary.at("Target"), json::value(json::object{{"Arn", kQueue}}));

  EXPECT_EQ(fails("ListSchedules", {{"MaxResults", 0}}).message(),
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(fails("ListSchedules", {{"NamePrefix", "1a"}}).type(), "ValidationException");
  EXPECT_EQ(fails("ListSchedules", {{"NextToken", "%%%"}}).type(), "ValidationException");
}

TEST_F(SchedulerEngineTest, OwnersNeverSeeEachOthersSchedules) {
  call("CreateSchedule", request("shared-name", "rate(1 hour)"), "tenant-a");
  EXPECT_EQ(fails("GetSchedule", {{"Name", "shared-name"}}, "tenant-b").type(),
            "ResourceNotFoundException");
  EXPECT_TRUE(call("ListSchedules", {}, "tenant-b").at("Schedules").as_array().empty());
  call("CreateSchedule", request("shared-name", "rate(1 hour)"), "tenant-b");
  EXPECT_EQ(call("ListSchedules", {}, "tenant-a").at("Schedules").as_array().size(), 1u);
}

TEST_F(SchedulerEngineTest, RateFiresAtCreationThenEveryPeriodWithTheContextSubstituted) {
  json::object r = request("every-5", "rate(5 minutes)");
  r["Target"].as_object()["Input"] =
      R"({"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>",)"
      R"("id":"<aws.scheduler.execution-id>","attempt":<aws.scheduler.attempt-number>})";
  call("CreateSchedule", r);

  std::vector<Message> first = run();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].queueArn, kQueue);
  json::object body = parse(first[0].body);
  EXPECT_EQ(body.at("arn").as_string(), fmt::format("{}default/every-5", kArnPrefix));
  EXPECT_EQ(body.at("at").as_string(), "2024-01-15T00:00:00Z");
  EXPECT_EQ(body.at("attempt").as_int64(), 1);
  std::string firstId(body.at("id").as_string());
  EXPECT_FALSE(firstId.empty());

  EXPECT_TRUE(runUntil(4min + 59s).empty());
  std::vector<Message> second = runUntil(5min);
  ASSERT_EQ(second.size(), 1u);
  json::object next = parse(second[0].body);
  EXPECT_EQ(next.at("at").as_string(), "2024-01-15T00:05:00Z");
  EXPECT_NE(next.at("id").as_string(), firstId);
  EXPECT_EQ(runUntil(30min).size(), 5u);  // 00:10 .. 00:30
}

TEST_F(SchedulerEngineTest, NoInputDeliversAnEmptyObject) {
  call("CreateSchedule", request("bare", "rate(1 hour)"));
  std::vector<Message> got = run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "{}");
}

TEST_F(SchedulerEngineTest, CronFiresAtWallClockTimeInItsTimeZone) {
  json::object r = request("nine-in-new-york", "cron(0 9 * * ? *)");
  r["ScheduleExpressionTimezone"] = "America/New_York";
  r["Target"].as_object()["Input"] = "<aws.scheduler.scheduled-time>";
  call("CreateSchedule", r);
  // 09:00 EST is 14:00 UTC in January.
  EXPECT_TRUE(runUntil(13h + 59min).empty());
  std::vector<Message> got = runUntil(14h);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "2024-01-15T14:00:00Z");
  got = runUntil(24h + 14h);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "2024-01-16T14:00:00Z");
}

TEST_F(SchedulerEngineTest, StartDateAndEndDateBoundARecurringSchedule) {
  json::object r = request("bounded", "rate(10 minutes)");
  r["StartDate"] = kStart + 3600;
  r["EndDate"] = kStart + 3600 + 25 * 60;
  r["Target"].as_object()["Input"] = "<aws.scheduler.scheduled-time>";
  call("CreateSchedule", r);
  EXPECT_TRUE(runUntil(59min).empty());
  std::vector<Message> got = runUntil(3h);
  ASSERT_EQ(got.size(), 3u);  // StartDate itself, +10, +20; +30 is past EndDate
  EXPECT_EQ(got[0].body, "2024-01-15T01:00:00Z");
  EXPECT_EQ(got[2].body, "2024-01-15T01:20:00Z");
}

TEST_F(SchedulerEngineTest, FlexibleWindowDelaysEachFiringWithinTheWindow) {
  json::object r = request("flexible", "rate(1 hour)");
  r["FlexibleTimeWindow"] = parse(R"({"Mode":"FLEXIBLE","MaximumWindowInMinutes":15})");
  r["Target"].as_object()["Input"] = "<aws.scheduler.scheduled-time>";
  call("CreateSchedule", r);
  std::vector<std::chrono::minutes> delays;
  std::vector<std::string> scheduled;
  for (int minute = 0; minute < 5 * 60; ++minute) {
    for (const Message& m : run()) {
      delays.push_back(std::chrono::minutes(minute % 60));
      scheduled.push_back(m.body);
    }
    clock_.advance(1min);
  }
  ASSERT_EQ(delays.size(), 5u);
  bool delayed = false;
  for (std::size_t i = 0; i < delays.size(); ++i) {
    EXPECT_LE(delays[i], 15min);
    EXPECT_EQ(scheduled[i], fmt::format("2024-01-15T0{}:00:00Z", i));
    delayed = delayed || delays[i] > 0min;
  }
  EXPECT_TRUE(delayed);  // the offsets are drawn, not all zero
}

TEST_F(SchedulerEngineTest, AfterALongGapAScheduleFiresOnceThenContinuesFromNow) {
  json::object r = request("minutely", "rate(1 minute)");
  r["Target"].as_object()["Input"] = "<aws.scheduler.scheduled-time>";
  call("CreateSchedule", r);
  EXPECT_EQ(run().size(), 1u);
  clock_.advance(3h);  // nobody ran meanwhile
  std::vector<Message> got = run();
  ASSERT_EQ(got.size(), 1u);  // once for the whole missed period
  EXPECT_EQ(got[0].body, "2024-01-15T00:01:00Z");
  EXPECT_TRUE(run().empty());
  clock_.advance(1min);
  got = run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "2024-01-15T03:01:00Z");
}

TEST_F(SchedulerEngineTest, OneTimeScheduleWithDeleteIsRemovedAfterItFires) {
  json::object once = request("once", "at(2024-01-15T00:30:00)");
  once["ActionAfterCompletion"] = "DELETE";
  call("CreateSchedule", once);
  call("CreateSchedule", request("kept", "at(2024-01-15T00:30:00)"));
  EXPECT_TRUE(runUntil(29min).empty());
  EXPECT_EQ(runUntil(30min).size(), 2u);
  EXPECT_EQ(fails("GetSchedule", {{"Name", "once"}}).type(), "ResourceNotFoundException");
  EXPECT_EQ(get("kept").at("State").as_string(), "ENABLED");  // NONE: stays, never fires again
  EXPECT_TRUE(runUntil(3h).empty());
}

TEST_F(SchedulerEngineTest, OneTimeScheduleMissedDuringDowntimeStillFiresOnce) {
  call("CreateSchedule", request("once", "at(2024-01-15T00:30:00)"));
  clock_.advance(2h);
  EXPECT_EQ(run().size(), 1u);
  EXPECT_TRUE(runUntil(5h).empty());
}

TEST_F(SchedulerEngineTest, DisabledScheduleFiresOnlyOnceEnabledAgain) {
  json::object r = request("paused", "rate(10 minutes)");
  r["State"] = "DISABLED";
  call("CreateSchedule", r);
  EXPECT_TRUE(runUntil(1h).empty());
  r["State"] = "ENABLED";
  call("UpdateSchedule", r);
  // Counting from creation: 01:00 is a tick, fired at once; then 01:10 and 01:20.
  EXPECT_EQ(runUntil(1h + 20min).size(), 3u);
}

TEST_F(SchedulerEngineTest, UpdateThatKeepsTheTimingKeepsThePendingFiring) {
  json::object r = request("steady", "rate(1 hour)");
  call("CreateSchedule", r);
  EXPECT_EQ(run().size(), 1u);
  clock_.advance(30min);
  r["Description"] = "changed";
  call("UpdateSchedule", r);
  EXPECT_TRUE(run().empty());  // no extra firing for the update
  EXPECT_EQ(runUntil(1h).size(), 1u);
}

TEST_F(SchedulerEngineTest, SchedulesAndTheirFiringStateSurviveReopening) {
  json::object r = request("durable", "rate(10 minutes)");
  r["Description"] = "kept across restarts";
  r["Target"].as_object()["Input"] = "<aws.scheduler.scheduled-time>";
  call("CreateSchedule", r);
  EXPECT_EQ(run().size(), 1u);
  json::object once = request("once", "at(2024-01-15T00:05:00)");
  once["ActionAfterCompletion"] = "DELETE";
  call("CreateSchedule", once);

  reopen();
  EXPECT_EQ(get("durable").at("Description").as_string(), "kept across restarts");
  EXPECT_TRUE(run().empty());  // 00:00 already fired before the restart
  std::vector<Message> got = runUntil(10min);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, "2024-01-15T00:10:00Z");

  reopen();
  EXPECT_EQ(fails("GetSchedule", {{"Name", "once"}}).type(), "ResourceNotFoundException");
  clock_.advance(2h);  // down for two hours
  reopen();
  got = run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "2024-01-15T00:20:00Z");  // the first missed firing, once
  EXPECT_EQ(runUntil(2h + 20min).size(), 1u);      // then 02:20
}

TEST_F(SchedulerEngineTest, FailedDeliveriesFollowTheRetryPolicyToTheDeadLetterQueue) {
  json::object r = request("to-function", "rate(1 hour)");
  json::object& target = r["Target"].as_object();
  target["Arn"] = kFunction;
  target["Input"] = R"({"job":"nightly"})";
  target["RetryPolicy"] = parse(R"({"MaximumRetryAttempts":1})");
  target["DeadLetterConfig"] = json::object{{"Arn", kDlq}};
  call("CreateSchedule", r);
  sinks_.functionFailures = 100;
  std::vector<Message> got = runUntil(30min);
  EXPECT_EQ(sinks_.invocations.size(), 2u);  // the attempt and one retry
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].queueArn, kDlq);
  EXPECT_EQ(got[0].body, R"({"job":"nightly"})");
  EXPECT_EQ(got[0].attributes.at("TARGET_ARN"), kFunction);
  EXPECT_EQ(got[0].attributes.at("EXHAUSTED_RETRY_CONDITION"), "MaximumRetryAttempts");
}

TEST_F(SchedulerEngineTest, EventBusTargetGetsAnEventWhoseDetailIsTheInput) {
  auto rule = bus_->call("", "PutRule",
                         parse(R"({"Name":"ticks","EventPattern":"{\"source\":[\"my.app\"]}"})"));
  ASSERT_TRUE(rule.ok());
  auto targets = bus_->call(
      "", "PutTargets",
      parse(fmt::format(R"({{"Rule":"ticks","Targets":[{{"Id":"q","Arn":"{}"}}]}})", kQueue)));
  ASSERT_TRUE(targets.ok());
  json::object r = request("tick", "rate(1 hour)");
  json::object& target = r["Target"].as_object();
  target["Arn"] = "arn:aws:events:us-east-1:000000000000:event-bus/default";
  target["EventBridgeParameters"] = parse(R"({"DetailType":"Tick","Source":"my.app"})");
  target["Input"] = R"({"n":1,"at":"<aws.scheduler.scheduled-time>"})";
  call("CreateSchedule", r);

  std::vector<Message> got = run();
  ASSERT_EQ(got.size(), 1u);
  json::object event = parse(got[0].body);
  EXPECT_EQ(event.at("source").as_string(), "my.app");
  EXPECT_EQ(event.at("detail-type").as_string(), "Tick");
  EXPECT_EQ(event.at("detail"), json::value(parse(R"({"n":1,"at":"2024-01-15T00:00:00Z"})")));
  EXPECT_EQ(event.at("resources").as_array()[0].as_string(),
            fmt::format("{}default/tick", kArnPrefix));
}

TEST_F(SchedulerEngineTest, TheFiringThreadFiresWithoutBeingDriven) {
  call("CreateSchedule", request("threaded", "rate(1 hour)"));
  engine_->start();
  // The thread fires the schedule due at creation; the bus (not started) holds the delivery.
  // Waits for the other thread, not for time: no clock is involved.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (bus_->pendingDeliveries() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  engine_->stop();
  engine_->stop();  // idempotent
  EXPECT_EQ(bus_->pendingDeliveries(), 1u);
  EXPECT_EQ(engine_->fireDueForTest(), 0u);
}

}  // namespace
}  // namespace bakery::scheduler
