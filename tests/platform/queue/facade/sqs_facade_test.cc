#include "platform/queue/facade/sqs_facade.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "platform/aws/sigv4.h"
#include "platform/gateway/aws_endpoint.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/queue/facade/sqs_query_protocol.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::queue {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kKey = "test";  // unbound: the system owner, account 000000000000
constexpr std::string_view kTenantA = "key-a";
constexpr std::string_view kTenantB = "key-b";
constexpr std::string_view kJobsUrl = "http://localhost:4566/000000000000/jobs";
constexpr std::string_view kXmlns = R"(xmlns="http://queue.amazonaws.com/doc/2012-11-05/")";

// Request ids req-1, req-2, ... so that whole XML documents can be compared.
class SequentialIds final : public core::IdGenerator {
 public:
  std::string uuid() override { return "req-" + std::to_string(++n_); }
  std::string traceId() override { return "1"; }
  std::string spanId() override { return "1"; }

 private:
  int n_ = 0;
};

std::string formEncode(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += aws::uriEncode(name, true) + "=" + aws::uriEncode(value, true);
  }
  return out;
}

// The text of the first <element> in `xml` (still escaped); "" when there is none.
std::string xmlText(std::string_view xml, std::string_view element) {
  std::string open = "<" + std::string(element) + ">";
  std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  std::size_t end = xml.find("</" + std::string(element) + ">", start);
  return std::string(xml.substr(start, end - start));
}

int countOf(std::string_view text, std::string_view needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class SqsFacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto storage = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(storage.ok()) << storage.error().message();
    storage_ = std::move(*storage);
    EngineOptions options;
    options.endpoint = "http://localhost:4566";
    engine_ = std::make_unique<QueueEngine>(*storage_, clock_, engineIds_, options);
    auto opened = engine_->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    std::map<std::string, std::string> tenants{{std::string(kTenantA), "111111111111"},
                                               {std::string(kTenantB), "222222222222"}};
    json_ = std::make_unique<SqsJsonService>(*engine_, tenants);
    query_ = std::make_unique<SqsQueryService>(*engine_, requestIds_, tenants);
  }
  void TearDown() override {
    json_.reset();
    query_.reset();
    engine_.reset();
    storage_.reset();
  }

  // --- JSON protocol ---
  core::Result<json::object> tryJson(std::string_view operation, const json::object& request,
                                     std::string_view key = kKey) {
    auto r = json_->call(operation, core::toJson(request), key);
    if (!r) return r.error();
    auto parsed = core::parseJson(*r, "response");
    EXPECT_TRUE(parsed.ok() && parsed->is_object()) << *r;
    if (!parsed || !parsed->is_object()) return core::Error::internal();
    return std::move(parsed->get_object());
  }
  json::object callJson(std::string_view operation, const json::object& request,
                        std::string_view key = kKey) {
    auto r = tryJson(operation, request, key);
    EXPECT_TRUE(r.ok()) << operation << ": " << r.error().type() << ": " << r.error().message();
    return r ? *r : json::object{};
  }
  // "Type: message", or "succeeded".
  std::string jsonFailure(std::string_view operation, const json::object& request,
                          std::string_view key = kKey) {
    auto r = tryJson(operation, request, key);
    return r ? std::string("succeeded") : r.error().type() + ": " + r.error().message();
  }
  std::string createJson(std::string_view name, std::string_view key = kKey,
                         json::object attributes = {}) {
    json::object request{{"QueueName", name}};
    if (!attributes.empty()) request["Attributes"] = std::move(attributes);
    auto r = callJson("CreateQueue", request, key);
    return std::string(core::stringMember(r, "QueueUrl").value_or(""));
  }

  // --- Query protocol ---
  gateway::ServerResponse query(std::string_view action, Params params,
                                std::string_view key = kKey) {
    params.insert(params.begin(), {{"Action", std::string(action)}, {"Version", "2012-11-05"}});
    gateway::ServerRequest request;
    request.method = "POST";
    request.target = "/";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    request.body = formEncode(params);
    return query_->serve(request, key);
  }
  // The body of a successful query response.
  std::string queryOk(std::string_view action, Params params, std::string_view key = kKey) {
    auto r = query(action, std::move(params), key);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  testing::TempDir dir_{"bakery-sqs-facade"};
  core::ManualClock clock_;
  core::RandomIdGenerator engineIds_;
  SequentialIds requestIds_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<QueueEngine> engine_;
  std::unique_ptr<SqsJsonService> json_;
  std::unique_ptr<SqsQueryService> query_;
};

// === JSON protocol ==========================================================================

TEST_F(SqsFacadeTest, JsonCreateGetListAndDeleteQueues) {
  EXPECT_EQ(createJson("jobs"), kJobsUrl);
  EXPECT_EQ(createJson("jobs-dlq"), "http://localhost:4566/000000000000/jobs-dlq");
  createJson("other");
  auto url = callJson("GetQueueUrl", {{"QueueName", "jobs"}});
  EXPECT_EQ(core::toJson(url), R"({"QueueUrl":"http://localhost:4566/000000000000/jobs"})");
  auto listed = callJson("ListQueues", {{"QueueNamePrefix", "jobs"}});
  EXPECT_EQ(core::toJson(listed), R"({"QueueUrls":["http://localhost:4566/000000000000/jobs",)"
                                  R"("http://localhost:4566/000000000000/jobs-dlq"]})");
  auto page = callJson("ListQueues", {{"MaxResults", 1}});
  EXPECT_EQ(page["QueueUrls"].as_array().size(), 1u);
  EXPECT_TRUE(page.contains("NextToken"));
  EXPECT_EQ(core::toJson(callJson("DeleteQueue", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(jsonFailure("GetQueueUrl", {{"QueueName", "jobs"}}),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(core::toJson(callJson("ListQueues", {{"QueueNamePrefix", "nothing"}})), "{}");
}

TEST_F(SqsFacadeTest, JsonErrorsCarrySqsTypeAndQueryCode) {
  EXPECT_EQ(json_->errorType("QueueDoesNotExist"), "com.amazonaws.sqs#QueueDoesNotExist");
  auto r = json_->call("GetQueueUrl", R"({"QueueName":"missing"})", kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status(), 400);
  EXPECT_EQ(queryErrorHeader(r.error()), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(queryErrorHeader(core::Error("QueueNameExists", 400, "")), "QueueAlreadyExists;Sender");
  EXPECT_EQ(queryErrorHeader(core::Error("TooManyEntriesInBatchRequest", 400, "")),
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender");
  EXPECT_EQ(queryErrorHeader(core::Error::internal()), "InternalFailure;Receiver");
  EXPECT_EQ(queryErrorHeader(core::Error("ReceiptHandleIsInvalid", 400, "")),
            "ReceiptHandleIsInvalid;Sender");
}

TEST_F(SqsFacadeTest, JsonRejectsMalformedRequests) {
  createJson("jobs");
  EXPECT_EQ(jsonFailure("ReceiveMessage", {{"QueueUrl", kJobsUrl}, {"MaxNumberOfMessages", "5"}}),
            "SerializationException: Unexpected field type for MaxNumberOfMessages");
  EXPECT_EQ(jsonFailure("SendMessage", {{"QueueUrl", kJobsUrl}, {"MessageBody", 5}}),
            "SerializationException: Unexpected field type for MessageBody");
  EXPECT_EQ(jsonFailure("SendMessage", {{"MessageBody", "x"}}),
            "MissingParameter: The request must contain the parameter QueueUrl.");
  EXPECT_EQ(jsonFailure("CreateQueue", {}),
            "MissingParameter: The request must contain the parameter QueueName.");
  auto notJson = json_->call("ListQueues", "{not json", kKey);
  ASSERT_FALSE(notJson.ok());
  EXPECT_EQ(notJson.error().type(), "SerializationException");
  auto unknown = json_->call("TagQueue", "{}", kKey);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().type(), "UnknownOperationException");
  EXPECT_EQ(unknown.error().message(), "Operation AmazonSQS.TagQueue is not supported");
}

TEST_F(SqsFacadeTest, JsonMayBlockExceptForCatalogueReads) {
  EXPECT_FALSE(json_->mayBlock("GetQueueUrl"));
  EXPECT_FALSE(json_->mayBlock("ListQueues"));
  EXPECT_FALSE(json_->mayBlock("NoSuchAction"));
  EXPECT_TRUE(json_->mayBlock("ReceiveMessage"));
  EXPECT_TRUE(json_->mayBlock("SendMessage"));
  EXPECT_EQ(json_->targetPrefix(), "AmazonSQS");
  EXPECT_EQ(json_->signingName(), "sqs");
  EXPECT_EQ(query_->signingName(), "sqs");
}

TEST_F(SqsFacadeTest, JsonQueueAttributesRoundTrip) {
  createJson("jobs", kKey, {{"VisibilityTimeout", "45"}});
  callJson("SetQueueAttributes", {{"QueueUrl", kJobsUrl}, {"Attributes", {{"DelaySeconds", "3"}}}});
  auto got =
      callJson("GetQueueAttributes",
               {{"QueueUrl", kJobsUrl},
                {"AttributeNames", json::array{"VisibilityTimeout", "DelaySeconds", "QueueArn"}}});
  EXPECT_EQ(core::toJson(got),
            R"({"Attributes":{"DelaySeconds":"3",)"
            R"("QueueArn":"arn:aws:sqs:us-east-1:000000000000:jobs","VisibilityTimeout":"45"}})");
  auto all = callJson("GetQueueAttributes",
                      {{"QueueUrl", kJobsUrl}, {"AttributeNames", json::array{"All"}}});
  EXPECT_TRUE(all["Attributes"].as_object().contains("ApproximateNumberOfMessages"));
  // No names: nothing, as in SQS.
  EXPECT_EQ(core::toJson(callJson("GetQueueAttributes", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(jsonFailure("SetQueueAttributes", {{"QueueUrl", kJobsUrl}}),
            "MissingParameter: The request must contain the parameter Attributes.");
  EXPECT_EQ(jsonFailure("GetQueueAttributes",
                        {{"QueueUrl", kJobsUrl}, {"AttributeNames", json::array{"Color"}}}),
            "InvalidAttributeName: Unknown Attribute Color.");
}

TEST_F(SqsFacadeTest, JsonSendReceiveAndDeleteWithMessageAttributes) {
  createJson("jobs");
  auto sent =
      callJson("SendMessage", {{"QueueUrl", kJobsUrl},
                               {"MessageBody", "hello"},
                               {"MessageAttributes",
                                {{"color", {{"DataType", "String"}, {"StringValue", "blue"}}},
                                 {"n", {{"DataType", "Number.int"}, {"StringValue", "42"}}},
                                 {"blob", {{"DataType", "Binary"}, {"BinaryValue", "AAH/"}}}}}});
  EXPECT_EQ(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
  ASSERT_TRUE(sent.contains("MD5OfMessageAttributes"));
  EXPECT_EQ(sent["MessageId"].as_string().size(), 36u);
  EXPECT_FALSE(sent.contains("SequenceNumber"));

  auto received = callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl},
                                              {"AttributeNames", json::array{"All"}},
                                              {"MessageAttributeNames", json::array{"All"}},
                                              {"MaxNumberOfMessages", 10}});
  ASSERT_EQ(received["Messages"].as_array().size(), 1u);
  json::object& m = received["Messages"].as_array()[0].as_object();
  EXPECT_EQ(m["MessageId"], sent["MessageId"]);
  EXPECT_EQ(m["Body"], "hello");
  EXPECT_EQ(m["MD5OfBody"], "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(m["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"]);
  EXPECT_EQ(core::toJson(m["MessageAttributes"]),
            R"({"blob":{"BinaryValue":"AAH/","DataType":"Binary"},)"
            R"("color":{"StringValue":"blue","DataType":"String"},)"
            R"("n":{"StringValue":"42","DataType":"Number.int"}})");
  EXPECT_EQ(m["Attributes"].as_object()["ApproximateReceiveCount"], "1");
  EXPECT_EQ(m["Attributes"].as_object()["SenderId"], "000000000000");

  // In flight: nothing more to receive; then deleted.
  EXPECT_EQ(core::toJson(callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(core::toJson(callJson("DeleteMessage",
                                  {{"QueueUrl", kJobsUrl}, {"ReceiptHandle", m["ReceiptHandle"]}})),
            "{}");
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(core::toJson(callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(jsonFailure("DeleteMessage", {{"QueueUrl", kJobsUrl}, {"ReceiptHandle", "bogus"}}),
            "ReceiptHandleIsInvalid: The input receipt handle \"bogus\" is not a valid receipt "
            "handle.");
}

TEST_F(SqsFacadeTest, JsonSendMessageValidatesAttributes) {
  createJson("jobs");
  json::object attributes;
  for (int i = 0; i < 11; ++i) {
    attributes["a" + std::to_string(i)] =
        json::object{{"DataType", "String"}, {"StringValue", "v"}};
  }
  EXPECT_EQ(jsonFailure(
                "SendMessage",
                {{"QueueUrl", kJobsUrl}, {"MessageBody", "x"}, {"MessageAttributes", attributes}}),
            "InvalidParameterValue: Number of message attributes [11] exceeds the allowed maximum "
            "[10].");
  EXPECT_EQ(jsonFailure("SendMessage",
                        {{"QueueUrl", kJobsUrl},
                         {"MessageBody", "x"},
                         {"MessageAttributes",
                          {{"b", {{"DataType", "Binary"}, {"BinaryValue", "not base64!"}}}}}}),
            "InvalidParameterValue: The binary value of message attribute 'b' is not valid "
            "base64.");
  EXPECT_EQ(jsonFailure("SendMessage", {{"QueueUrl", kJobsUrl}, {"MessageBody", ""}}),
            "MissingParameter: The request must contain the parameter MessageBody.");
}

TEST_F(SqsFacadeTest, JsonSendMessageBatchAnswersPerEntry) {
  createJson("jobs");
  auto r = callJson(
      "SendMessageBatch",
      {{"QueueUrl", kJobsUrl},
       {"Entries",
        json::array{
            json::object{{"Id", "a"}, {"MessageBody", "one"}},
            json::object{{"Id", "b"},
                         {"MessageBody", "two"},
                         {"MessageAttributes",
                          {{"n", {{"DataType", "Number"}, {"StringValue", "not a number"}}}}}},
            json::object{{"Id", "c"}, {"MessageBody", "three"}, {"DelaySeconds", 5}}}}});
  ASSERT_EQ(r["Successful"].as_array().size(), 2u);
  EXPECT_EQ(r["Successful"].as_array()[0].as_object()["Id"], "a");
  EXPECT_EQ(r["Successful"].as_array()[1].as_object()["Id"], "c");
  EXPECT_EQ(r["Successful"].as_array()[0].as_object()["MD5OfMessageBody"],
            "f97c5d29941bfb1b2fdab0874906ab82");
  EXPECT_EQ(core::toJson(r["Failed"]),
            R"([{"Id":"b","SenderFault":true,"Code":"InvalidParameterValue",)"
            R"("Message":"Can't cast the value of message (user) attribute 'n' to a number."}])");
}

TEST_F(SqsFacadeTest, JsonBatchesCheckEntryCountsAndIds) {
  createJson("jobs");
  json::array eleven;
  for (int i = 0; i < 11; ++i) {
    eleven.push_back(json::object{{"Id", "e" + std::to_string(i)}, {"MessageBody", "x"}});
  }
  EXPECT_EQ(jsonFailure("SendMessageBatch", {{"QueueUrl", kJobsUrl}, {"Entries", eleven}}),
            "TooManyEntriesInBatchRequest: Maximum number of entries per request are 10. You have "
            "sent 11.");
  EXPECT_EQ(jsonFailure("DeleteMessageBatch", {{"QueueUrl", kJobsUrl}, {"Entries", eleven}}),
            "TooManyEntriesInBatchRequest: Maximum number of entries per request are 10. You have "
            "sent 11.");
  EXPECT_EQ(jsonFailure("SendMessageBatch", {{"QueueUrl", kJobsUrl}}),
            "EmptyBatchRequest: There should be at least one SendMessageBatchRequestEntry in the "
            "request.");
  EXPECT_EQ(jsonFailure("ChangeMessageVisibilityBatch",
                        {{"QueueUrl", kJobsUrl}, {"Entries", json::array{}}}),
            "EmptyBatchRequest: There should be at least one "
            "ChangeMessageVisibilityBatchRequestEntry in the request.");
  EXPECT_EQ(
      jsonFailure("DeleteMessageBatch",
                  {{"QueueUrl", kJobsUrl},
                   {"Entries", json::array{json::object{{"Id", "a"}, {"ReceiptHandle", "h"}},
                                           json::object{{"Id", "a"}, {"ReceiptHandle", "h"}}}}}),
      "BatchEntryIdsNotDistinct: Two or more batch entries in the request have the same Id.");
  EXPECT_EQ(jsonFailure("SendMessageBatch",
                        {{"QueueUrl", kJobsUrl},
                         {"Entries",
                          json::array{json::object{{"Id", "no spaces"}, {"MessageBody", "x"}}}}}),
            "InvalidBatchEntryId: A batch entry id can only contain alphanumeric characters, "
            "hyphens and underscores. It can be at most 80 letters long.");
}

TEST_F(SqsFacadeTest, JsonChangeVisibilityAndDeleteInBatches) {
  createJson("jobs");
  for (const char* body : {"one", "two", "three"}) {
    callJson("SendMessage", {{"QueueUrl", kJobsUrl}, {"MessageBody", body}});
  }
  auto received =
      callJson("ReceiveMessage",
               {{"QueueUrl", kJobsUrl}, {"MaxNumberOfMessages", 10}, {"VisibilityTimeout", 60}});
  json::array& messages = received["Messages"].as_array();
  ASSERT_EQ(messages.size(), 3u);
  auto handle = [&](std::size_t i) { return messages[i].as_object()["ReceiptHandle"]; };

  // One back to visible at once, one with a new timeout, one bogus handle.
  auto changed = callJson(
      "ChangeMessageVisibilityBatch",
      {{"QueueUrl", kJobsUrl},
       {"Entries",
        json::array{
            json::object{{"Id", "now"}, {"ReceiptHandle", handle(0)}, {"VisibilityTimeout", 0}},
            json::object{{"Id", "later"}, {"ReceiptHandle", handle(1)}, {"VisibilityTimeout", 600}},
            json::object{{"Id", "bad"}, {"ReceiptHandle", "bogus"}}}}});
  EXPECT_EQ(core::toJson(changed["Successful"]), R"([{"Id":"now"},{"Id":"later"}])");
  ASSERT_EQ(changed["Failed"].as_array().size(), 1u);
  EXPECT_EQ(changed["Failed"].as_array()[0].as_object()["Code"], "ReceiptHandleIsInvalid");

  auto again = callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl}, {"MaxNumberOfMessages", 10}});
  ASSERT_EQ(again["Messages"].as_array().size(), 1u);
  EXPECT_EQ(again["Messages"].as_array()[0].as_object()["Body"], messages[0].as_object()["Body"]);

  EXPECT_EQ(core::toJson(callJson(
                "ChangeMessageVisibility",
                {{"QueueUrl", kJobsUrl}, {"ReceiptHandle", handle(2)}, {"VisibilityTimeout", 0}})),
            "{}");
  EXPECT_EQ(jsonFailure("ChangeMessageVisibility",
                        {{"QueueUrl", kJobsUrl}, {"ReceiptHandle", handle(2)}}),
            "MissingParameter: The request must contain the parameter VisibilityTimeout.");

  auto deleted =
      callJson("DeleteMessageBatch",
               {{"QueueUrl", kJobsUrl},
                {"Entries", json::array{json::object{{"Id", "x"}, {"ReceiptHandle", handle(1)}},
                                        json::object{{"Id", "y"}, {"ReceiptHandle", "bogus"}}}}});
  EXPECT_EQ(core::toJson(deleted["Successful"]), R"([{"Id":"x"}])");
  EXPECT_EQ(deleted["Failed"].as_array()[0].as_object()["Id"], "y");
  EXPECT_EQ(deleted["Failed"].as_array()[0].as_object()["SenderFault"], true);
}

TEST_F(SqsFacadeTest, JsonPurgeQueueDropsMessages) {
  createJson("jobs");
  callJson("SendMessage", {{"QueueUrl", kJobsUrl}, {"MessageBody", "x"}});
  EXPECT_EQ(core::toJson(callJson("PurgeQueue", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(core::toJson(callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl}})), "{}");
  EXPECT_EQ(jsonFailure("PurgeQueue", {{"QueueUrl", kJobsUrl}}).substr(0, 21),
            "PurgeQueueInProgress:");
}

TEST_F(SqsFacadeTest, JsonFifoQueueAnswersSequenceNumbers) {
  std::string url =
      createJson("jobs.fifo", kKey, {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  auto sent =
      callJson("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g1"}});
  EXPECT_FALSE(sent["SequenceNumber"].as_string().empty());
  auto received =
      callJson("ReceiveMessage",
               {{"QueueUrl", url}, {"MessageSystemAttributeNames", json::array{"MessageGroupId"}}});
  ASSERT_EQ(received["Messages"].as_array().size(), 1u);
  EXPECT_EQ(core::toJson(received["Messages"].as_array()[0].as_object()["Attributes"]),
            R"({"MessageGroupId":"g1"})");
}

TEST_F(SqsFacadeTest, JsonReceiveLongPollWakesOnSend) {
  createJson("jobs");
  auto poll = std::async(std::launch::async, [&] {
    return callJson("ReceiveMessage", {{"QueueUrl", kJobsUrl}, {"WaitTimeSeconds", 20}});
  });
  callJson("SendMessage", {{"QueueUrl", kJobsUrl}, {"MessageBody", "wake"}});
  auto received = poll.get();
  ASSERT_TRUE(received.contains("Messages"));
  EXPECT_EQ(received["Messages"].as_array()[0].as_object()["Body"], "wake");
}

TEST_F(SqsFacadeTest, QueueUrlsMayUseAnyHostButMustNameTheCallersAccount) {
  createJson("jobs");
  EXPECT_EQ(jsonFailure("SendMessage", {{"QueueUrl",
                                         "https://sqs.us-east-1.amazonaws.com/"
                                         "000000000000/jobs"},
                                        {"MessageBody", "x"}}),
            "succeeded");
  EXPECT_EQ(jsonFailure("SendMessage", {{"QueueUrl", "/000000000000/jobs"}, {"MessageBody", "x"}}),
            "succeeded");
  EXPECT_EQ(jsonFailure("SendMessage", {{"QueueUrl", "http://localhost:4566/123456789012/jobs"},
                                        {"MessageBody", "x"}}),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(
      jsonFailure("SendMessage", {{"QueueUrl", "http://localhost:4566/"}, {"MessageBody", "x"}}),
      "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(jsonFailure("GetQueueUrl",
                        {{"QueueName", "jobs"}, {"QueueOwnerAWSAccountId", "000000000000"}}),
            "succeeded");
  EXPECT_EQ(jsonFailure("GetQueueUrl",
                        {{"QueueName", "jobs"}, {"QueueOwnerAWSAccountId", "123456789012"}}),
            "QueueDoesNotExist: The specified queue does not exist.");
}

TEST_F(SqsFacadeTest, AccessKeysBoundToTenantsSeeOnlyTheirQueues) {
  std::string urlA = createJson("jobs", kTenantA);
  EXPECT_EQ(urlA, "http://localhost:4566/111111111111/jobs");
  callJson("SendMessage", {{"QueueUrl", urlA}, {"MessageBody", "for a"}}, kTenantA);

  // B and the unbound key: no such queue, not even through A's URL.
  EXPECT_EQ(jsonFailure("GetQueueUrl", {{"QueueName", "jobs"}}, kTenantB),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(jsonFailure("ReceiveMessage", {{"QueueUrl", urlA}}, kTenantB),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(jsonFailure("ReceiveMessage", {{"QueueUrl", urlA}}, kKey),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(core::toJson(callJson("ListQueues", {}, kTenantB)), "{}");
  auto viaQuery = query("ReceiveMessage", {{"QueueUrl", urlA}}, kTenantB);
  EXPECT_EQ(viaQuery.status, 400);
  EXPECT_EQ(xmlText(viaQuery.body, "Code"), "AWS.SimpleQueueService.NonExistentQueue");

  // B's own queue of the same name is another queue.
  std::string urlB = createJson("jobs", kTenantB);
  EXPECT_EQ(urlB, "http://localhost:4566/222222222222/jobs");
  EXPECT_EQ(core::toJson(callJson("ReceiveMessage", {{"QueueUrl", urlB}}, kTenantB)), "{}");
  auto forA = callJson("ReceiveMessage", {{"QueueUrl", urlA}}, kTenantA);
  EXPECT_EQ(forA["Messages"].as_array()[0].as_object()["Body"], "for a");
  EXPECT_EQ(xmlText(queryOk("ListQueues", {}, kTenantA), "QueueUrl"), urlA);
}

// === Query protocol =========================================================================

TEST_F(SqsFacadeTest, QueryCreateQueueAnswersXml) {
  auto r = query("CreateQueue", {{"QueueName", "jobs"},
                                 {"Attribute.1.Name", "VisibilityTimeout"},
                                 {"Attribute.1.Value", "45"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string(R"(<?xml version="1.0"?><CreateQueueResponse )") +
                        std::string(kXmlns) +
                        "><CreateQueueResult><QueueUrl>http://localhost:4566/000000000000/jobs"
                        "</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>req-1"
                        "</RequestId></ResponseMetadata></CreateQueueResponse>");
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].name, "content-type");
  EXPECT_EQ(r.headers[0].value, "text/xml");
  EXPECT_EQ(r.headers[1].name, "x-amzn-RequestId");
  EXPECT_EQ(r.headers[1].value, "req-1");
  auto attributes = engine_->getQueueAttributes("", "jobs", {"VisibilityTimeout"});
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->at("VisibilityTimeout"), "45");
}

TEST_F(SqsFacadeTest, QueryGetQueueUrlListQueuesPurgeAndDeleteQueue) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  queryOk("CreateQueue", {{"QueueName", "jobs-dlq"}});
  EXPECT_EQ(xmlText(queryOk("GetQueueUrl", {{"QueueName", "jobs"}}), "GetQueueUrlResult"),
            "<QueueUrl>http://localhost:4566/000000000000/jobs</QueueUrl>");
  EXPECT_EQ(xmlText(queryOk("ListQueues", {{"QueueNamePrefix", "job"}}), "ListQueuesResult"),
            "<QueueUrl>http://localhost:4566/000000000000/jobs</QueueUrl>"
            "<QueueUrl>http://localhost:4566/000000000000/jobs-dlq</QueueUrl>");
  EXPECT_EQ(xmlText(queryOk("ListQueues", {{"MaxResults", "1"}}), "ListQueuesResult"),
            "<QueueUrl>http://localhost:4566/000000000000/jobs</QueueUrl><NextToken>" +
                xmlText(queryOk("ListQueues", {{"MaxResults", "1"}}), "NextToken") +
                "</NextToken>");
  // An empty result is still wrapped: botocore looks the wrapper up.
  EXPECT_NE(queryOk("ListQueues", {{"QueueNamePrefix", "zzz"}})
                .find("<ListQueuesResult>"
                      "</ListQueuesResult>"),
            std::string::npos);
  auto purged = query("PurgeQueue", {{"QueueUrl", std::string(kJobsUrl)}});
  EXPECT_EQ(purged.body, std::string(R"(<?xml version="1.0"?><PurgeQueueResponse )") +
                             std::string(kXmlns) + "><ResponseMetadata><RequestId>" +
                             purged.headers[1].value +
                             "</RequestId></ResponseMetadata></PurgeQueueResponse>");
  std::string deleted = queryOk("DeleteQueue", {{"QueueUrl", std::string(kJobsUrl)}});
  EXPECT_NE(deleted.find("<DeleteQueueResponse " + std::string(kXmlns) + "><ResponseMetadata>"),
            std::string::npos);
  EXPECT_EQ(query("GetQueueUrl", {{"QueueName", "jobs"}}).status, 400);
}

TEST_F(SqsFacadeTest, QueryQueueAttributesAreFlattenedMaps) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  queryOk("SetQueueAttributes", {{"QueueUrl", std::string(kJobsUrl)},
                                 {"Attribute.1.Name", "VisibilityTimeout"},
                                 {"Attribute.1.Value", "45"},
                                 {"Attribute.2.Name", "DelaySeconds"},
                                 {"Attribute.2.Value", "2"}});
  std::string xml = queryOk("GetQueueAttributes", {{"QueueUrl", std::string(kJobsUrl)},
                                                   {"AttributeName.1", "VisibilityTimeout"},
                                                   {"AttributeName.2", "DelaySeconds"}});
  EXPECT_EQ(xmlText(xml, "GetQueueAttributesResult"),
            "<Attribute><Name>DelaySeconds</Name><Value>2</Value></Attribute>"
            "<Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute>");
  std::string all = queryOk("GetQueueAttributes",
                            {{"QueueUrl", std::string(kJobsUrl)}, {"AttributeName.1", "All"}});
  EXPECT_NE(all.find("<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:000000000000:"
                     "jobs</Value></Attribute>"),
            std::string::npos);
}

TEST_F(SqsFacadeTest, QuerySendAndReceiveCarryAttributesAndEscapedBodies) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  std::string body = "<a href=\"x\">&amp;</a>\r\nline two";
  std::string sent = queryOk("SendMessage", {{"QueueUrl", std::string(kJobsUrl)},
                                             {"MessageBody", body},
                                             {"MessageAttribute.1.Name", "color"},
                                             {"MessageAttribute.1.Value.DataType", "String"},
                                             {"MessageAttribute.1.Value.StringValue", "blue"},
                                             {"MessageAttribute.2.Name", "blob"},
                                             {"MessageAttribute.2.Value.DataType", "Binary"},
                                             {"MessageAttribute.2.Value.BinaryValue", "AAH/"}});
  std::string md5OfAttributes = xmlText(sent, "MD5OfMessageAttributes");
  EXPECT_EQ(md5OfAttributes.size(), 32u);
  EXPECT_EQ(xmlText(sent, "MD5OfMessageBody").size(), 32u);
  std::string messageId = xmlText(sent, "MessageId");

  std::string xml = queryOk("ReceiveMessage", {{"QueueUrl", std::string(kJobsUrl)},
                                               {"AttributeName.1", "ApproximateReceiveCount"},
                                               {"MessageAttributeName.1", "All"},
                                               {"MaxNumberOfMessages", "10"}});
  EXPECT_EQ(countOf(xml, "<Message>"), 1);
  std::string handle = xmlText(xml, "ReceiptHandle");
  EXPECT_EQ(xmlText(xml, "ReceiveMessageResult"),
            "<Message><MessageId>" + messageId + "</MessageId><ReceiptHandle>" + handle +
                "</ReceiptHandle><MD5OfBody>" + xmlText(sent, "MD5OfMessageBody") +
                "</MD5OfBody><Body>&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;&#xD;\nline two"
                "</Body><Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value>"
                "</Attribute><MD5OfMessageAttributes>" +
                md5OfAttributes +
                "</MD5OfMessageAttributes><MessageAttribute><Name>blob</Name><Value><BinaryValue>"
                "AAH/</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>"
                "<MessageAttribute><Name>color</Name><Value><StringValue>blue</StringValue>"
                "<DataType>String</DataType></Value></MessageAttribute></Message>");

  EXPECT_EQ(
      queryOk("DeleteMessage", {{"QueueUrl", std::string(kJobsUrl)}, {"ReceiptHandle", handle}})
          .find("<DeleteMessageResponse "),
      std::string_view(R"(<?xml version="1.0"?>)").size());
  clock_.advance(std::chrono::seconds(31));
  // None: the result element is still there, empty (botocore looks it up).
  EXPECT_NE(queryOk("ReceiveMessage", {{"QueueUrl", std::string(kJobsUrl)}})
                .find("<ReceiveMessageResult></ReceiveMessageResult><ResponseMetadata>"),
            std::string::npos);
}

TEST_F(SqsFacadeTest, QueryBinaryAttributesReachTheEngineAsBytes) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  queryOk("SendMessage", {{"QueueUrl", std::string(kJobsUrl)},
                          {"MessageBody", "x"},
                          {"MessageAttribute.1.Name", "blob"},
                          {"MessageAttribute.1.Value.DataType", "Binary"},
                          {"MessageAttribute.1.Value.BinaryValue", "AAH/"}});
  auto received = engine_->receiveMessage("", "jobs", {.messageAttributeNames = {"All"}});
  ASSERT_TRUE(received.ok());
  ASSERT_EQ(received->size(), 1u);
  EXPECT_EQ((*received)[0].messageAttributes.at("blob").binaryValue,
            std::string("\x00\x01\xff", 3));
}

TEST_F(SqsFacadeTest, QuerySendMessageBatchListsSuccessfulAndFailedEntries) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  std::string xml =
      queryOk("SendMessageBatch",
              {{"QueueUrl", std::string(kJobsUrl)},
               {"SendMessageBatchRequestEntry.1.Id", "a"},
               {"SendMessageBatchRequestEntry.1.MessageBody", "one"},
               {"SendMessageBatchRequestEntry.2.Id", "b"},
               {"SendMessageBatchRequestEntry.2.MessageBody", "two"},
               {"SendMessageBatchRequestEntry.2.MessageAttribute.1.Name", "n"},
               {"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType", "Number"},
               {"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue", "abc"},
               {"SendMessageBatchRequestEntry.3.Id", "c"},
               {"SendMessageBatchRequestEntry.3.MessageBody", "three"}});
  EXPECT_EQ(countOf(xml, "<SendMessageBatchResultEntry>"), 2);
  EXPECT_NE(xml.find("<SendMessageBatchResultEntry><Id>a</Id><MessageId>"), std::string::npos);
  EXPECT_NE(xml.find("<MD5OfMessageBody>f97c5d29941bfb1b2fdab0874906ab82</MD5OfMessageBody>"),
            std::string::npos);
  EXPECT_EQ(countOf(xml, "<BatchResultErrorEntry>"), 1);
  EXPECT_NE(xml.find("<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>"
                     "InvalidParameterValue</Code><Message>"),
            std::string::npos);
}

TEST_F(SqsFacadeTest, QueryDeleteAndChangeVisibilityBatches) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  queryOk("SendMessage", {{"QueueUrl", std::string(kJobsUrl)}, {"MessageBody", "one"}});
  queryOk("SendMessage", {{"QueueUrl", std::string(kJobsUrl)}, {"MessageBody", "two"}});
  std::string received = queryOk(
      "ReceiveMessage", {{"QueueUrl", std::string(kJobsUrl)}, {"MaxNumberOfMessages", "2"}});
  ASSERT_EQ(countOf(received, "<Message>"), 2);
  std::string first = xmlText(received, "ReceiptHandle");
  std::string second =
      xmlText(std::string_view(received).substr(received.find("</Message>")), "ReceiptHandle");

  std::string changed =
      queryOk("ChangeMessageVisibilityBatch",
              {{"QueueUrl", std::string(kJobsUrl)},
               {"ChangeMessageVisibilityBatchRequestEntry.1.Id", "c1"},
               {"ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", first},
               {"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "120"}});
  EXPECT_EQ(xmlText(changed, "ChangeMessageVisibilityBatchResult"),
            "<ChangeMessageVisibilityBatchResultEntry><Id>c1</Id>"
            "</ChangeMessageVisibilityBatchResultEntry>");
  queryOk("ChangeMessageVisibility", {{"QueueUrl", std::string(kJobsUrl)},
                                      {"ReceiptHandle", second},
                                      {"VisibilityTimeout", "90"}});

  std::string deleted =
      queryOk("DeleteMessageBatch", {{"QueueUrl", std::string(kJobsUrl)},
                                     {"DeleteMessageBatchRequestEntry.1.Id", "d1"},
                                     {"DeleteMessageBatchRequestEntry.1.ReceiptHandle", first},
                                     {"DeleteMessageBatchRequestEntry.2.Id", "d2"},
                                     {"DeleteMessageBatchRequestEntry.2.ReceiptHandle", "bogus"}});
  EXPECT_EQ(xmlText(deleted, "DeleteMessageBatchResult"),
            "<DeleteMessageBatchResultEntry><Id>d1</Id></DeleteMessageBatchResultEntry>"
            "<BatchResultErrorEntry><Id>d2</Id><SenderFault>true</SenderFault><Code>"
            "ReceiptHandleIsInvalid</Code><Message>The input receipt handle &quot;bogus&quot; is "
            "not a valid receipt handle.</Message></BatchResultErrorEntry>");
}

TEST_F(SqsFacadeTest, QueryErrorsAreErrorResponses) {
  auto missing = query("GetQueueUrl", {{"QueueName", "nope"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body,
            std::string(R"(<?xml version="1.0"?><ErrorResponse )") + std::string(kXmlns) +
                "><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
                "<Message>The specified queue does not exist.</Message><Detail/></Error>"
                "<RequestId>req-1</RequestId></ErrorResponse>");
  EXPECT_EQ(missing.headers[1].value, "req-1");

  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  auto exists = query("CreateQueue", {{"QueueName", "jobs"},
                                      {"Attribute.1.Name", "VisibilityTimeout"},
                                      {"Attribute.1.Value", "99"}});
  EXPECT_EQ(xmlText(exists.body, "Code"), "QueueAlreadyExists");

  std::vector<std::pair<std::string, std::string>> eleven{{"QueueUrl", std::string(kJobsUrl)}};
  for (int i = 1; i <= 11; ++i) {
    eleven.push_back(
        {"SendMessageBatchRequestEntry." + std::to_string(i) + ".Id", "e" + std::to_string(i)});
    eleven.push_back({"SendMessageBatchRequestEntry." + std::to_string(i) + ".MessageBody", "x"});
  }
  auto tooMany = query("SendMessageBatch", eleven);
  EXPECT_EQ(xmlText(tooMany.body, "Code"), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
  EXPECT_EQ(xmlText(tooMany.body, "Message"),
            "Maximum number of entries per request are 10. You have sent 11.");

  auto notInteger = query("ReceiveMessage",
                          {{"QueueUrl", std::string(kJobsUrl)}, {"MaxNumberOfMessages", "ten"}});
  EXPECT_EQ(xmlText(notInteger.body, "Code"), "InvalidParameterValue");
  EXPECT_EQ(xmlText(notInteger.body, "Message"),
            "Value ten for parameter MaxNumberOfMessages is invalid. Reason: Must be an integer.");

  auto unknown = query("TagQueue", {{"QueueUrl", std::string(kJobsUrl)}});
  EXPECT_EQ(xmlText(unknown.body, "Code"), "InvalidAction");
  EXPECT_EQ(xmlText(unknown.body, "Message"),
            "The action TagQueue is not valid for this web service.");

  gateway::ServerRequest noAction{.method = "POST", .target = "/", .body = "Version=2012-11-05"};
  EXPECT_EQ(xmlText(query_->serve(noAction, kKey).body, "Code"), "MissingAction");
  gateway::ServerRequest badEscape{.method = "POST", .target = "/", .body = "Action=List%zzQueues"};
  auto malformed = query_->serve(badEscape, kKey);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(xmlText(malformed.body, "Code"), "MalformedQueryString");
}

TEST_F(SqsFacadeTest, QueryErrorResponseNamesEndpointErrorsAsTheQueryProtocolDoes) {
  gateway::ServerRequest request{.method = "POST", .target = "/"};
  auto r = query_->errorResponse(
      request, core::Error("InvalidSignatureException", 400, "The signature does not match."),
      "rid-9");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(xmlText(r.body, "Code"), "SignatureDoesNotMatch");
  EXPECT_EQ(xmlText(r.body, "RequestId"), "rid-9");
  auto unknownKey = query_->errorResponse(
      request, core::Error("UnrecognizedClientException", 400, "bad key"), "rid-10");
  EXPECT_EQ(xmlText(unknownKey.body, "Code"), "InvalidClientTokenId");
  auto internal = query_->errorResponse(request, core::Error::internal(), "rid-11");
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(xmlText(internal.body, "Type"), "Receiver");
  EXPECT_EQ(xmlText(internal.body, "Code"), "InternalFailure");
}

TEST_F(SqsFacadeTest, QueryAcceptsGetAndTheQueueUrlAsPath) {
  queryOk("CreateQueue", {{"QueueName", "jobs"}});
  gateway::ServerRequest get{.method = "GET",
                             .target = "/000000000000/jobs?Action=SendMessage&MessageBody=via+get"};
  auto sent = query_->serve(get, kKey);
  EXPECT_EQ(sent.status, 200) << sent.body;
  gateway::ServerRequest post{.method = "POST",
                              .target = "/000000000000/jobs",
                              .body = "Action=ReceiveMessage&MaxNumberOfMessages=1"};
  auto received = query_->serve(post, kKey);
  EXPECT_EQ(xmlText(received.body, "Body"), "via get");
  // An explicit QueueUrl wins over the path.
  gateway::ServerRequest other{
      .method = "POST",
      .target = "/000000000000/jobs",
      .body = "Action=GetQueueAttributes&AttributeName.1=QueueArn&QueueUrl=%2F000000000000%2Fnone"};
  EXPECT_EQ(xmlText(query_->serve(other, kKey).body, "Code"),
            "AWS.SimpleQueueService.NonExistentQueue");
}

// === Form decoding, against what botocore's QuerySerializer sends ===========================
// Bodies captured from botocore 1.29's QuerySerializer (AWS CLI v2.9 / Debian 12's boto3),
// urlencoded as botocore's AWSRequest does it.

json::object decodeForm(SqsAction action, std::string_view body) {
  FormParameters parameters;
  auto parsed = parseFormParameters(body, parameters);
  EXPECT_TRUE(parsed.ok());
  auto document = decodeQueryRequest(action, parameters);
  EXPECT_TRUE(document.ok()) << document.error().message();
  return document ? *document : json::object{};
}

TEST(SqsQueryDecodingTest, DecodesBotocoreCreateQueueAndIgnoresUnservedParameters) {
  EXPECT_EQ(core::toJson(decodeForm(
                SqsAction::kCreateQueue,
                "Action=CreateQueue&Version=2012-11-05&QueueName=jobs&Attribute.1.Name="
                "VisibilityTimeout&Attribute.1.Value=45&Attribute.2.Name=DelaySeconds&Attribute."
                "2.Value=2&Tag.1.Key=team&Tag.1.Value=a")),
            R"({"QueueName":"jobs","Attributes":{"VisibilityTimeout":"45","DelaySeconds":"2"}})");
}

TEST(SqsQueryDecodingTest, DecodesBotocoreSendMessageWithMessageAttributes) {
  EXPECT_EQ(
      core::toJson(decodeForm(
          SqsAction::kSendMessage,
          "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%"
          "2F000000000000%2Fjobs&MessageBody=hello+world+%26+more&DelaySeconds=3&MessageAttribute."
          "1.Name=color&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value."
          "StringValue=blue&MessageAttribute.2.Name=blob&MessageAttribute.2.Value.DataType=Binary&"
          "MessageAttribute.2.Value.BinaryValue=AAH%2F&MessageAttribute.3.Name=n&MessageAttribute."
          "3.Value.DataType=Number&MessageAttribute.3.Value.StringValue=42")),
      R"({"QueueUrl":"http://localhost:4566/000000000000/jobs","MessageBody":"hello world & more",)"
      R"("DelaySeconds":3,"MessageAttributes":{"color":{"StringValue":"blue","DataType":"String"},)"
      R"("blob":{"BinaryValue":"AAH/","DataType":"Binary"},)"
      R"("n":{"StringValue":"42","DataType":"Number"}}})");
}

TEST(SqsQueryDecodingTest, DecodesBotocoreSendMessageBatchEntries) {
  EXPECT_EQ(
      core::toJson(decodeForm(
          SqsAction::kSendMessageBatch,
          "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%"
          "2F000000000000%2Fjobs&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry."
          "1.MessageBody=one&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&"
          "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&"
          "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v&"
          "SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&"
          "SendMessageBatchRequestEntry.2.DelaySeconds=1&SendMessageBatchRequestEntry.2."
          "MessageGroupId=g&SendMessageBatchRequestEntry.2.MessageDeduplicationId=d")),
      R"({"QueueUrl":"http://localhost:4566/000000000000/jobs","Entries":[)"
      R"({"Id":"a","MessageBody":"one","MessageAttributes":{"k":{"StringValue":"v",)"
      R"("DataType":"String"}}},{"Id":"b","MessageBody":"two","DelaySeconds":1,)"
      R"("MessageDeduplicationId":"d","MessageGroupId":"g"}]})");
}

TEST(SqsQueryDecodingTest, DecodesBotocoreReceiveMessageAndAttributeNameLists) {
  EXPECT_EQ(core::toJson(decodeForm(
                SqsAction::kReceiveMessage,
                "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%"
                "2F000000000000%2Fjobs&AttributeName.1=All&MessageAttributeName.1=color&"
                "MessageAttributeName.2=n.%2A&MaxNumberOfMessages=10&VisibilityTimeout=5&"
                "WaitTimeSeconds=0")),
            R"({"QueueUrl":"http://localhost:4566/000000000000/jobs","AttributeNames":["All"],)"
            R"("MessageAttributeNames":["color","n.*"],"MaxNumberOfMessages":10,)"
            R"("VisibilityTimeout":5,"WaitTimeSeconds":0})");
  EXPECT_EQ(core::toJson(decodeForm(
                SqsAction::kGetQueueAttributes,
                "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%"
                "3A4566%2F000000000000%2Fjobs&AttributeName.1=VisibilityTimeout&AttributeName.2="
                "QueueArn")),
            R"({"QueueUrl":"http://localhost:4566/000000000000/jobs",)"
            R"("AttributeNames":["VisibilityTimeout","QueueArn"]})");
}

TEST(SqsQueryDecodingTest, DecodesBotocoreDeleteAndChangeVisibilityBatches) {
  EXPECT_EQ(core::toJson(decodeForm(
                SqsAction::kDeleteMessageBatch,
                "Action=DeleteMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%"
                "3A4566%2F000000000000%2Fjobs&DeleteMessageBatchRequestEntry.1.Id=x&"
                "DeleteMessageBatchRequestEntry.1.ReceiptHandle=h1&DeleteMessageBatchRequestEntry."
                "2.Id=y&DeleteMessageBatchRequestEntry.2.ReceiptHandle=h2")),
            R"({"QueueUrl":"http://localhost:4566/000000000000/jobs","Entries":[)"
            R"({"Id":"x","ReceiptHandle":"h1"},{"Id":"y","ReceiptHandle":"h2"}]})");
  EXPECT_EQ(
      core::toJson(decodeForm(
          SqsAction::kChangeMessageVisibilityBatch,
          "Action=ChangeMessageVisibilityBatch&Version=2012-11-05&QueueUrl=http%3A%2F%"
          "2Flocalhost%3A4566%2F000000000000%2Fjobs&ChangeMessageVisibilityBatchRequestEntry.1.Id="
          "x&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=h1&"
          "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=10")),
      R"({"QueueUrl":"http://localhost:4566/000000000000/jobs","Entries":[)"
      R"({"Id":"x","ReceiptHandle":"h1","VisibilityTimeout":10}]})");
  EXPECT_EQ(core::toJson(
                decodeForm(SqsAction::kListQueues,
                           "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=jo&MaxResults=5")),
            R"({"QueueNamePrefix":"jo","MaxResults":5})");
}

TEST(SqsQueryDecodingTest, ListsFollowNumericIndexOrder) {
  FormParameters parameters;
  std::string body;
  for (int i = 12; i >= 1; --i)
    body += "&AttributeName." + std::to_string(i) + "=n" + std::to_string(i);
  ASSERT_TRUE(parseFormParameters(body, parameters).ok());
  auto document = decodeQueryRequest(SqsAction::kGetQueueAttributes, parameters);
  ASSERT_TRUE(document.ok());
  const json::array& names = document->at("AttributeNames").as_array();
  ASSERT_EQ(names.size(), 12u);
  EXPECT_EQ(names[1], "n2");
  EXPECT_EQ(names[9], "n10");
}

TEST(SqsQueryDecodingTest, FormParametersDecodePlusAndPercentAndKeepTheFirstValue) {
  FormParameters parameters;
  ASSERT_TRUE(parseFormParameters("a=x+y%20z&b&c=%E2%82%AC&a=second&&", parameters).ok());
  EXPECT_EQ(parameters.at("a"), "x y z");
  EXPECT_EQ(parameters.at("b"), "");
  EXPECT_EQ(parameters.at("c"), "\xE2\x82\xAC");
  EXPECT_FALSE(parseFormParameters("a=%4", parameters).ok());
  EXPECT_FALSE(parseFormParameters("a=%G0", parameters).ok());
}

// === Through the AWS endpoint: signed requests, routed by target or by signing name =========

class SqsEndpointTest : public SqsFacadeTest {
 protected:
  gateway::ServerResponse send(gateway::ServerRequest request) {
    std::string path = request.target.substr(0, request.target.find('?'));
    std::string query = request.target.find('?') == std::string::npos
                            ? std::string()
                            : request.target.substr(request.target.find('?') + 1);
    request.headers.push_back({"Host", "localhost:4566"});
    std::vector<aws::HeaderView> views;
    for (const auto& h : request.headers) views.push_back({h.name, h.value});
    auto signedRequest = aws::sign({request.method, path, query, views, request.body},
                                   {"test", "test", ""}, {"us-east-1", "sqs"}, clock_.wallNow());
    for (const auto& h : signedRequest.headers) request.headers.push_back({h.name, h.value});
    std::promise<gateway::ServerResponse> done;
    auto answer = done.get_future();
    endpoint_->handle(std::move(request),
                      [&done](gateway::ServerResponse r) { done.set_value(std::move(r)); });
    return answer.get();
  }
  void SetUp() override {
    SqsFacadeTest::SetUp();
    endpoint_ = std::make_unique<gateway::AwsEndpoint>(requestIds_, clock_,
                                                       gateway::AwsEndpointOptions{.workers = 2});
    endpoint_->addService(*json_);
    endpoint_->addHttpService(*query_);
  }
  void TearDown() override {
    endpoint_.reset();
    SqsFacadeTest::TearDown();
  }
  std::unique_ptr<gateway::AwsEndpoint> endpoint_;
};

TEST_F(SqsEndpointTest, JsonRequestsAreRoutedByTarget) {
  auto r = send({.method = "POST",
                 .target = "/",
                 .headers = {{"X-Amz-Target", "AmazonSQS.CreateQueue"},
                             {"Content-Type", "application/x-amz-json-1.0"}},
                 .body = R"({"QueueName":"jobs"})"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"QueueUrl":"http://localhost:4566/000000000000/jobs"})");
  auto missing = send({.method = "POST",
                       .target = "/",
                       .headers = {{"X-Amz-Target", "AmazonSQS.GetQueueUrl"},
                                   {"Content-Type", "application/x-amz-json-1.0"}},
                       .body = R"({"QueueName":"nope"})"});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist",)"
                          R"("message":"The specified queue does not exist."})");
}

TEST_F(SqsEndpointTest, QueryRequestsAreRoutedBySigningName) {
  auto r = send({.method = "POST",
                 .target = "/",
                 .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                 .body = "Action=CreateQueue&Version=2012-11-05&QueueName=jobs"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(xmlText(r.body, "QueueUrl"), kJobsUrl);
  auto forged = gateway::ServerRequest{
      .method = "POST",
      .target = "/",
      .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Authorization",
                   "AWS4-HMAC-SHA256 Credential=test/20231114/us-east-1/sqs/aws4_request, "
                   "SignedHeaders=host, Signature=00"}},
      .body = "Action=ListQueues"};
  std::promise<gateway::ServerResponse> done;
  auto answer = done.get_future();
  endpoint_->handle(forged,
                    [&done](gateway::ServerResponse res) { done.set_value(std::move(res)); });
  auto refused = answer.get();
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("<ErrorResponse "), std::string::npos);
}

}  // namespace
}  // namespace bakery::queue
