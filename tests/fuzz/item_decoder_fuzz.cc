// The stored item decoder and the DynamoDB JSON attribute codec on arbitrary bytes: a corrupt
// record is an error, never a crash; whatever decodes re-encodes to the same item.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.h"
#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/codec/item_size.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bakery::table::codec;  // NOLINT(google-build-using-namespace)
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto item = decodeItem(input)) {
    (void)itemSize(*item);
    (void)storedSize(*item, "sk");
    auto again = decodeItem(encodeItem(*item));
    if (!again || !(*again == *item)) std::abort();
    (void)bakery::core::toJson(attributeMapToJson(*item));
  }
  if (auto doc = bakery::core::parseJson(input, "input")) {
    if (auto m = attributeMapFromJson(*doc)) {
      auto back = attributeMapFromJson(attributeMapToJson(*m));
      if (!back || !(*back == *m)) std::abort();
      auto stored = decodeItem(encodeItem(*m));
      if (!stored || !(*stored == *m)) std::abort();
    }
  }
  return 0;
}
