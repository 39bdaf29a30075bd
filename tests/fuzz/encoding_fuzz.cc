// base64 and UTF-8 from arbitrary bytes: whatever decodes re-encodes to the same text, every
// encoding decodes back to its bytes, and JSON text survives a parse/serialize round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/encoding.h"
#include "core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto decoded = bakery::core::base64Decode(input)) {
    if (bakery::core::base64Encode(*decoded) != input) std::abort();
  }
  auto roundTrip = bakery::core::base64Decode(bakery::core::base64Encode(input));
  if (!roundTrip || *roundTrip != input) std::abort();
  (void)bakery::core::isValidUtf8(input);
  if (auto v = bakery::core::parseJson(input, "input")) {
    auto again = bakery::core::parseJson(bakery::core::toJson(*v), "again");
    if (!again) std::abort();  // what we write must always be JSON
  }
  return 0;
}
