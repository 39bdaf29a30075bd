// W3C Trace Context (`traceparent`) for requests entering the gateway.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include <bakery/context.h>

#include "core/ids.h"

namespace bakery::gateway {

struct ParsedTraceparent {
  std::string traceId;
  std::string parentId;
  bool sampled = false;
};

// Version 00 (and, as the spec asks, higher versions read by their first four fields);
// nullopt for anything malformed, an all-zero trace or parent id, or version ff.
std::optional<ParsedTraceparent> parseTraceparent(std::string_view header);

// Continues the incoming trace when `header` is valid, otherwise starts one; either way this
// request gets a fresh span id.
TraceContext continueOrStartTrace(std::optional<std::string_view> header, core::IdGenerator& ids);

// An incoming x-request-id is echoed only when it is 1-128 characters of [A-Za-z0-9._:-].
bool isValidRequestId(std::string_view id);

}  // namespace bakery::gateway
