// The AWS query protocol of SQS (API version 2012-11-05): what older SDKs and the AWS CLI v1
// send (a form-encoded POST, or a GET, with `Action=SendMessage&Version=2012-11-05&...`) and
// the XML they expect back.
//
// Parameters flatten the model the way botocore's QuerySerializer does: maps as
// `Attribute.N.Name` / `Attribute.N.Value` (message attributes as
// `MessageAttribute.N.Name` / `MessageAttribute.N.Value.DataType|StringValue|BinaryValue`),
// lists by their member's name (`AttributeName.N`, `SendMessageBatchRequestEntry.N.Id`).
// Responses are `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>` with
// flattened lists and maps (`<Message>` repeated, `<Attribute><Name/><Value/></Attribute>`),
// errors `<ErrorResponse><Error><Type>Sender</Type><Code>...`, as botocore's QueryParser
// reads them. Conversion happens to and from SqsApi's documents (sqs_api.h), so both
// protocols share one operation layer. Pure functions, thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "platform/queue/facade/sqs_api.h"

namespace bakery::queue {

// Form parameters by name, decoded.
using FormParameters = std::map<std::string, std::string, std::less<>>;

// Adds the parameters of an application/x-www-form-urlencoded text (or of a URL's query) to
// `out`: '&'-separated name=value pairs, percent-decoded, '+' standing for a space. A name
// already in `out` keeps its value. MalformedQueryString on a bad percent escape.
core::Result<void> parseFormParameters(std::string_view text, FormParameters& out);

// The SqsApi request document of `action`'s parameters. Parameters the action does not take
// are ignored; an integer parameter that is not one is InvalidParameterValue.
core::Result<json::object> decodeQueryRequest(SqsAction action, const FormParameters& parameters);

// The XML response for the SqsApi response document of `action`.
std::string writeQueryResponse(SqsAction action, const json::object& response,
                               std::string_view requestId);

// The XML error response for `error`: its query code (queryErrorCode()), "Sender" for a 4xx
// and "Receiver" otherwise.
std::string writeQueryError(const core::Error& error, std::string_view requestId);

}  // namespace bakery::queue
