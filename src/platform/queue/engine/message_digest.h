// The digests SQS reports with every send and receive: MD5OfMessageBody and
// MD5OfMessageAttributes. Clients (boto3, the AWS SDKs) recompute both and reject a response
// that disagrees, so the attribute digest follows SQS's documented encoding byte for byte.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "platform/queue/engine/queue_types.h"

namespace bakery::queue {

// MD5 of the body's bytes, as 32 lower-case hex digits.
std::string md5OfBody(std::string_view body);

// MD5 of the attributes, as 32 lower-case hex digits; empty when there are none. For each
// attribute in name order: the name, the data type and the value, each preceded by its length
// as 4 bytes big-endian, with one transport byte (1 String/Number, 2 Binary) before the value.
std::string md5OfMessageAttributes(const MessageAttributes& attributes);

}  // namespace bakery::queue
