#include "platform/queue/facade/sqs_facade.h"

#include <utility>

#include <fmt/format.h>

#include "core/json.h"
#include "platform/queue/facade/sqs_query_protocol.h"

namespace bakery::queue {
namespace {

std::string_view ownerOf(const std::map<std::string, std::string, std::less<>>& tenants,
                         std::string_view accessKeyId) {
  auto tenant = tenants.find(accessKeyId);
  return tenant == tenants.end() ? std::string_view() : std::string_view(tenant->second);
}

// Actions that name a queue by its URL (all but CreateQueue, GetQueueUrl and ListQueues).
bool takesQueueUrl(SqsAction action) {
  return action != SqsAction::kCreateQueue && action != SqsAction::kGetQueueUrl &&
         action != SqsAction::kListQueues;
}

}  // namespace

// --- SqsJsonService ------------------------------------------------------------------------

SqsJsonService::SqsJsonService(QueueEngine& engine, std::map<std::string, std::string> tenants)
    : api_(engine), tenants_(tenants.begin(), tenants.end()) {}

std::string SqsJsonService::errorType(std::string_view type) const {
  return fmt::format("com.amazonaws.sqs#{}", type);
}

bool SqsJsonService::mayBlock(std::string_view operation) const {
  auto action = sqsActionFromName(operation);
  if (!action) return false;  // answered at once with UnknownOperationException
  // These read only the engine's in-memory catalogue; everything else may wait for a write,
  // a queue's lock or (ReceiveMessage) a long poll.
  return *action != SqsAction::kGetQueueUrl && *action != SqsAction::kListQueues;
}

core::Result<std::string> SqsJsonService::call(std::string_view operation, std::string_view body,
                                               std::string_view accessKeyId) {
  auto action = sqsActionFromName(operation);
  if (!action) {
    return core::Error("UnknownOperationException", 400,
                       fmt::format("Operation AmazonSQS.{} is not supported", operation));
  }
  auto request = gateway::parseRequestDocument(body);
  if (!request) return request.error();
  auto result = api_.call(*action, ownerOf(tenants_, accessKeyId), *request);
  if (!result) return result.error();
  return core::toJson(*result);
}

// --- SqsQueryService -----------------------------------------------------------------------

SqsQueryService::SqsQueryService(QueueEngine& engine, core::IdGenerator& ids,
                                 std::map<std::string, std::string> tenants)
    : api_(engine), ids_(ids), tenants_(tenants.begin(), tenants.end()) {}

gateway::ServerResponse SqsQueryService::serve(const gateway::ServerRequest& request,
                                               std::string_view accessKeyId) {
  std::string requestId = ids_.uuid();
  auto xml = run(request, accessKeyId, requestId);
  if (!xml) return errorResponse(request, xml.error(), requestId);
  gateway::ServerResponse response;
  response.set("content-type", "text/xml");
  response.set("x-amzn-RequestId", requestId);
  response.body = std::move(*xml);
  return response;
}

gateway::ServerResponse SqsQueryService::errorResponse(const gateway::ServerRequest& request,
                                                       const core::Error& error,
                                                       std::string_view requestId) {
  (void)request;
  gateway::ServerResponse response;
  response.status = error.status() == 0 ? 500 : error.status();
  response.set("content-type", "text/xml");
  response.set("x-amzn-RequestId", std::string(requestId));
  response.body = writeQueryError(error, requestId);
  return response;
}

core::Result<std::string> SqsQueryService::run(const gateway::ServerRequest& request,
                                               std::string_view accessKeyId,
                                               std::string_view requestId) {
  std::string_view path = request.target;
  std::string_view query;
  if (std::size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  // The body's parameters first: a name in both keeps the body's value.
  FormParameters parameters;
  if (request.method == "POST") {
    auto parsed = parseFormParameters(request.body, parameters);
    if (!parsed) return parsed.error();
  }
  auto parsed = parseFormParameters(query, parameters);
  if (!parsed) return parsed.error();

  auto actionName = parameters.find("Action");
  if (actionName == parameters.end()) {
    return core::Error("MissingAction", 400, "The request must contain the parameter Action.");
  }
  auto action = sqsActionFromName(actionName->second);
  if (!action) {
    return core::Error(
        "InvalidAction", 400,
        fmt::format("The action {} is not valid for this web service.", actionName->second));
  }
  auto document = decodeQueryRequest(*action, parameters);
  if (!document) return document.error();
  if (takesQueueUrl(*action) && !document->contains("QueueUrl") && path.size() > 1) {
    (*document)["QueueUrl"] = path;  // sent to the queue's own URL
  }
  auto result = api_.call(*action, ownerOf(tenants_, accessKeyId), *document);
  if (!result) return result.error();
  return writeQueryResponse(*action, *result, requestId);
}

}  // namespace bakery::queue
