// SchedulerFacade: routing and serialization of Scheduler's REST-JSON API, with requests
// built by hand (the endpoint, which verifies signatures, is not involved).
#include "platform/scheduler/facade/scheduler_facade.h"

#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::scheduler {
namespace {

constexpr std::int64_t kStart = 1705276800;  // 2024-01-15T00:00:00Z
constexpr std::string_view kCreateBody =
    R"json({"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:orders",
                       "RoleArn": "arn:aws:iam::000000000000:role/scheduler"}})json";

class NoSinks final : public bus::TargetSinks {
 public:
  core::Result<std::function<void()>> stageQueueMessage(
      std::string_view, std::string_view, std::string_view,
      const std::vector<bus::QueueMessageAttribute>&, rocksdb::WriteBatch&) override {
    return std::function<void()>([] {});
  }
  core::Result<void> invokeFunction(std::string_view, std::string_view, std::string_view) override {
    return {};
  }
};

class SchedulerFacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(s.ok()) << s.error().message();
    storage_ = std::move(s).value();
    bus::BusOptions busOptions;
    busOptions.startDispatcher = false;
    bus_ = std::make_unique<bus::BusEngine>(*storage_, clock_, ids_, sinks_, busOptions);
    ASSERT_TRUE(bus_->open().ok());
    engine_ = std::make_unique<SchedulerEngine>(*storage_, clock_, ids_, *bus_);
    ASSERT_TRUE(engine_->open().ok());
    facade_ = std::make_unique<SchedulerFacade>(
        *engine_, ids_, std::map<std::string, std::string>{{"tenant-key", "tenant"}});
  }

  gateway::ServerResponse send(std::string method, std::string target, std::string body = "",
                               std::string_view accessKey = "test") {
    gateway::ServerRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    return facade_->serve(request, accessKey);
  }
  static std::string header(const gateway::ServerResponse& r, std::string_view name) {
    for (const gateway::HttpHeader& h : r.headers) {
      if (gateway::equalsIgnoreCase(h.name, name)) return h.value;
    }
    return {};
  }
  static json::object body(const gateway::ServerResponse& r) {
    auto parsed = core::parseJson(r.body, "response body");
    EXPECT_TRUE(parsed.ok() && parsed->is_object()) << r.body;
    return parsed.ok() && parsed->is_object() ? parsed->as_object() : json::object{};
  }

  testing::TempDir dir_;
  core::ManualClock clock_{core::Clock::WallTime(std::chrono::seconds(kStart))};
  core::RandomIdGenerator ids_;
  NoSinks sinks_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<bus::BusEngine> bus_;
  std::unique_ptr<SchedulerEngine> engine_;
  std::unique_ptr<SchedulerFacade> facade_;
};

TEST_F(SchedulerFacadeTest, PostCreatesTheScheduleNamedInThePath) {
  gateway::ServerResponse r = send("POST", "/schedules/my.schedule", std::string(kCreateBody));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "content-type"), "application/json");
  EXPECT_FALSE(header(r, "x-amzn-RequestId").empty());
  EXPECT_EQ(body(r).at("ScheduleArn").as_string(),
            "arn:aws:scheduler:us-east-1:000000000000:schedule/default/my.schedule");
}

TEST_F(SchedulerFacadeTest, GetReadsTheGroupFromTheQueryAndAnswersEpochSeconds) {
  send("POST", "/schedules/daily", std::string(kCreateBody));
  gateway::ServerResponse r = send("GET", "/schedules/daily?groupName=default");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object s = body(r);
  EXPECT_EQ(s.at("Name").as_string(), "daily");
  EXPECT_EQ(s.at("GroupName").as_string(), "default");
  EXPECT_EQ(s.at("CreationDate").as_int64(), kStart);
  EXPECT_EQ(send("GET", "/schedules/daily?groupName=other").status, 404);
}

TEST_F(SchedulerFacadeTest, PutUpdatesAndDeleteRemoves) {
  send("POST", "/schedules/daily", std::string(kCreateBody));
  std::string update(kCreateBody);
  update.replace(update.find("rate(1 hour)"), 12, "rate(2 hours)");
  gateway::ServerResponse put = send("PUT", "/schedules/daily", update);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(body(send("GET", "/schedules/daily")).at("ScheduleExpression").as_string(),
            "rate(2 hours)");
  gateway::ServerResponse deleted = send("DELETE", "/schedules/daily?clientToken=abc-1");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, "{}");
  EXPECT_EQ(send("GET", "/schedules/daily").status, 404);
}

TEST_F(SchedulerFacadeTest, ListTakesTheModelsQueryNames) {
  for (std::string_view name : {"alpha", "alpine", "beta"}) {
    send("POST", fmt::format("/schedules/{}", name), std::string(kCreateBody));
  }
  gateway::ServerResponse r =
      send("GET", "/schedules?NamePrefix=alp&ScheduleGroup=default&State=ENABLED&MaxResults=1");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object page = body(r);
  ASSERT_EQ(page.at("Schedules").as_array().size(), 1u);
  EXPECT_EQ(page.at("Schedules").as_array()[0].at("Name").as_string(), "alpha");
  std::string token(page.at("NextToken").as_string());
  std::string encoded;
  for (char c : token) encoded += c == '=' ? std::string("%3D") : std::string(1, c);
  json::object rest =
      body(send("GET", fmt::format("/schedules?NamePrefix=alp&NextToken={}", encoded)));
  ASSERT_EQ(rest.at("Schedules").as_array().size(), 1u);
  EXPECT_EQ(rest.at("Schedules").as_array()[0].at("Name").as_string(), "alpine");
  EXPECT_EQ(send("GET", "/schedules?MaxResults=many").status, 400);
}

TEST_F(SchedulerFacadeTest, ErrorsCarryTheModelStatusTypeHeaderAndMessage) {
  gateway::ServerResponse missing = send("GET", "/schedules/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(header(missing, "x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_FALSE(header(missing, "x-amzn-RequestId").empty());
  EXPECT_EQ(body(missing), json::object({{"Message", "Schedule nothing does not exist."}}));

  send("POST", "/schedules/daily", std::string(kCreateBody));
  gateway::ServerResponse conflict = send("POST", "/schedules/daily", std::string(kCreateBody));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(header(conflict, "x-amzn-ErrorType"), "ConflictException");

  gateway::ServerResponse invalid = send("POST", "/schedules/bad%20name", std::string(kCreateBody));
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(header(invalid, "x-amzn-ErrorType"), "ValidationException");
  EXPECT_TRUE(body(invalid).at("Message").as_string().starts_with(
      "1 validation error detected: Value 'bad name' at 'name'"));

  EXPECT_EQ(send("POST", "/schedules/x", "not json").status, 400);
  gateway::ServerResponse unknown = send("GET", "/schedule-groups");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(header(unknown, "x-amzn-ErrorType"), "UnknownOperationException");

  gateway::ServerRequest request;
  gateway::ServerResponse throttled = facade_->errorResponse(
      request, core::Error("ThrottlingException", 400, "Rate exceeded."), "req-1");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(header(throttled, "x-amzn-RequestId"), "req-1");
  EXPECT_EQ(body(throttled), json::object({{"Message", "Rate exceeded."}}));
}

TEST_F(SchedulerFacadeTest, TenantKeysSeeOnlyTheirOwnSchedules) {
  ASSERT_EQ(send("POST", "/schedules/mine", std::string(kCreateBody), "tenant-key").status, 200);
  EXPECT_EQ(send("GET", "/schedules/mine", "", "tenant-key").status, 200);
  EXPECT_EQ(send("GET", "/schedules/mine").status, 404);
  EXPECT_TRUE(body(send("GET", "/schedules")).at("Schedules").as_array().empty());
}

}  // namespace
}  // namespace bakery::scheduler
