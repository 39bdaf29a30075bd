#include "platform/scheduler/facade/scheduler_facade.h"

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace bakery::scheduler {
namespace {

constexpr std::string_view kSchedulesPath = "/schedules";

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding ('+' stays a plus: the AWS SDKs encode spaces as %20).
core::Result<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int high = i + 2 < s.size() ? hexDigit(s[i + 1]) : -1;
    int low = i + 2 < s.size() ? hexDigit(s[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return core::Error::validation("The request has an invalid percent-encoded character.");
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// name=value pairs of a query string, decoded; a repeated name keeps its last value.
core::Result<std::map<std::string, std::string, std::less<>>> parseQuery(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = percentDecode(pair.substr(0, eq));
    if (!name) return name.error();
    auto value =
        percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return value.error();
    out.insert_or_assign(std::move(name).value(), std::move(value).value());
  }
  return out;
}

core::Error unknownOperation(const gateway::ServerRequest& request) {
  return core::Error("UnknownOperationException", 404,
                     fmt::format("Operation {} {} is not supported.", request.method,
                                 request.target.substr(0, request.target.find('?'))));
}

// The model's HTTP status of each error shape; other types keep their own.
int statusOf(const core::Error& error) {
  const std::string& type = error.type();
  if (type == "ValidationException") return 400;
  if (type == "ResourceNotFoundException" || type == "UnknownOperationException") return 404;
  if (type == "ConflictException") return 409;
  if (type == "ServiceQuotaExceededException") return 402;
  if (type == "ThrottlingException") return 429;
  if (type == "InternalServerException") return 500;
  return error.status();
}

}  // namespace

SchedulerFacade::SchedulerFacade(SchedulerEngine& engine, core::IdGenerator& ids,
                                 std::map<std::string, std::string> tenants)
    : engine_(engine), ids_(ids), tenants_(tenants.begin(), tenants.end()) {}

gateway::ServerResponse SchedulerFacade::serve(const gateway::ServerRequest& request,
                                               std::string_view accessKeyId) {
  auto tenant = tenants_.find(accessKeyId);
  std::string_view owner = tenant == tenants_.end() ? std::string_view() : tenant->second;
  std::string requestId = ids_.uuid();
  auto result = route(request, owner);
  if (!result) return errorResponse(request, result.error(), requestId);
  gateway::ServerResponse response;
  response.set("Content-Type", "application/json");
  response.set("x-amzn-RequestId", requestId);
  response.body = core::toJson(*result);
  return response;
}

gateway::ServerResponse SchedulerFacade::errorResponse(const gateway::ServerRequest& request,
                                                       const core::Error& error,
                                                       std::string_view requestId) {
  (void)request;
  gateway::ServerResponse response;
  response.status = statusOf(error);
  response.set("Content-Type", "application/json");
  response.set("x-amzn-RequestId", std::string(requestId));
  response.set("x-amzn-ErrorType", error.type());
  response.body = core::toJson(json::object{{"Message", error.message()}});
  return response;
}

core::Result<json::object> SchedulerFacade::route(const gateway::ServerRequest& request,
                                                  std::string_view owner) {
  std::string_view path = request.target;
  std::string_view queryText;
  if (std::size_t q = path.find('?'); q != std::string_view::npos) {
    queryText = path.substr(q + 1);
    path = path.substr(0, q);
  }
  auto query = parseQuery(queryText);
  if (!query) return query.error();
  // Query members under their model names (each operation has its own location names).
  json::object document;
  auto fold = [&](std::string_view wireName, std::string_view member) {
    if (auto it = query->find(wireName); it != query->end()) document[member] = it->second;
  };

  if (path == kSchedulesPath || path == "/schedules/") {
    if (request.method != "GET") return unknownOperation(request);
    fold("NamePrefix", "NamePrefix");
    fold("ScheduleGroup", "GroupName");
    fold("State", "State");
    fold("NextToken", "NextToken");
    if (auto it = query->find("MaxResults"); it != query->end()) {
      // An integer in the query; anything else is the member's type error.
      const std::string& text = it->second;
      bool digits = !text.empty() && text.size() <= 9 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        return core::Error::validation(
            fmt::format("1 validation error detected: Value '{}' at 'maxResults' failed to "
                        "satisfy constraint: Member must be an integer",
                        text),
            "MaxResults");
      }
      document["MaxResults"] = std::stoll(text);
    }
    return engine_.call(owner, "ListSchedules", document);
  }

  if (!path.starts_with(kSchedulesPath) || path[kSchedulesPath.size()] != '/') {
    return unknownOperation(request);
  }
  std::string_view encodedName = path.substr(kSchedulesPath.size() + 1);
  if (encodedName.empty() || encodedName.find('/') != std::string_view::npos) {
    return unknownOperation(request);
  }
  auto name = percentDecode(encodedName);
  if (!name) return name.error();

  std::string_view operation;
  if (request.method == "POST") {
    operation = "CreateSchedule";
  } else if (request.method == "PUT") {
    operation = "UpdateSchedule";
  } else if (request.method == "GET") {
    operation = "GetSchedule";
  } else if (request.method == "DELETE") {
    operation = "DeleteSchedule";
  } else {
    return unknownOperation(request);
  }
  if (operation == "CreateSchedule" || operation == "UpdateSchedule") {
    std::string_view body = request.body;
    if (!body.empty()) {
      auto parsed = core::parseJson(body, "request body");
      if (!parsed || !parsed->is_object()) {
        return core::Error("SerializationException", 400, "The request body is not a JSON object.");
      }
      document = std::move(parsed->get_object());
    }
  } else {
    fold("groupName", "GroupName");
    if (operation == "DeleteSchedule") fold("clientToken", "ClientToken");
  }
  document["Name"] = std::move(name).value();
  return engine_.call(owner, operation, document);
}

}  // namespace bakery::scheduler
