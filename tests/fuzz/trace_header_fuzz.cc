// traceparent and x-request-id values from arbitrary bytes: a parsed traceparent always has
// a 32-hex trace id and a 16-hex parent id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "platform/gateway/trace_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto parsed = bakery::gateway::parseTraceparent(input)) {
    if (parsed->traceId.size() != 32 || parsed->parentId.size() != 16) std::abort();
  }
  (void)bakery::gateway::isValidRequestId(input);
  return 0;
}
