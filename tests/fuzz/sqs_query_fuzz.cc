// SQS query-protocol requests (form-encoded) from arbitrary bytes: decoding must accept or
// refuse cleanly for every action, and a decoded request must write back as XML.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/queue/facade/sqs_api.h"
#include "platform/queue/facade/sqs_query_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bakery::queue;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  FormParameters parameters;
  if (!parseFormParameters(text, parameters)) return 0;
  for (SqsAction action :
       {SqsAction::kCreateQueue, SqsAction::kSendMessage, SqsAction::kSendMessageBatch,
        SqsAction::kReceiveMessage, SqsAction::kDeleteMessageBatch,
        SqsAction::kChangeMessageVisibilityBatch, SqsAction::kSetQueueAttributes,
        SqsAction::kGetQueueAttributes, SqsAction::kListQueues}) {
    auto decoded = decodeQueryRequest(action, parameters);
    if (decoded) (void)writeQueryResponse(action, *decoded, "fuzz");
  }
  return 0;
}
