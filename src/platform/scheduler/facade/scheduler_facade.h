// SchedulerFacade: the scheduler engine on the AWS endpoint, as EventBridge Scheduler's
// REST-JSON API (signing name "scheduler"; the endpoint routes a request here by its SigV4
// credential scope and has verified it).
//
// Routes, as the botocore model's `http` blocks give them:
//   POST   /schedules/{Name}                                  CreateSchedule (JSON body)
//   GET    /schedules/{Name}?groupName=                       GetSchedule
//   PUT    /schedules/{Name}                                  UpdateSchedule (JSON body)
//   DELETE /schedules/{Name}?groupName=&clientToken=          DeleteSchedule
//   GET    /schedules?NamePrefix=&ScheduleGroup=&State=&MaxResults=&NextToken=  ListSchedules
// URI and query members are percent-decoded and folded into the engine's request document
// under their model member names. Responses are JSON with timestamps as epoch seconds. Errors
// carry the model's HTTP status (400 validation, 404 not found, 409 conflict, 429 throttling,
// 500 internal), the body {"Message": "..."} and the type in `x-amzn-ErrorType`, which is
// where botocore's RestJSONParser reads the code; every response has `x-amzn-RequestId`.
// Schedule groups, tags and any other route are UnknownOperationException (404).
//
// An access key may be bound to a tenant (`tenants`: access key id -> owner): its requests
// act for that owner, whose schedules no other key sees; unbound keys act for the system
// owner "". Thread-safe; the engine and id generator must outlive the facade.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/ids.h"
#include "core/json.h"
#include "core/result.h"
#include "platform/gateway/aws_endpoint.h"
#include "platform/gateway/http_message.h"
#include "platform/scheduler/engine/scheduler_engine.h"

namespace bakery::scheduler {

class SchedulerFacade final : public gateway::AwsHttpService {
 public:
  // `ids` makes the request ids of responses.
  SchedulerFacade(SchedulerEngine& engine, core::IdGenerator& ids,
                  std::map<std::string, std::string> tenants = {});

  std::string_view signingName() const override { return "scheduler"; }
  gateway::ServerResponse serve(const gateway::ServerRequest& request,
                                std::string_view accessKeyId) override;
  gateway::ServerResponse errorResponse(const gateway::ServerRequest& request,
                                        const core::Error& error,
                                        std::string_view requestId) override;

 private:
  core::Result<json::object> route(const gateway::ServerRequest& request, std::string_view owner);

  SchedulerEngine& engine_;
  core::IdGenerator& ids_;
  std::map<std::string, std::string, std::less<>> tenants_;
};

}  // namespace bakery::scheduler
