// Route keys and request paths from arbitrary bytes: adding must refuse or accept cleanly,
// and matching must never read out of bounds, whatever the table holds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/gateway/router.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\n');
  std::string_view key = input.substr(0, split);
  std::string_view path = split == std::string_view::npos ? input : input.substr(split + 1);

  bakery::gateway::Router router;
  (void)router.add("GET /v1/items/{id}", "a");
  (void)router.add("ANY /v1/files/{path+}", "b");
  (void)router.add("POST /v1/items", "c");
  (void)router.add(key, "fuzzed");
  for (std::string_view method : {"GET", "POST", "DELETE"}) (void)router.match(method, path);
  (void)bakery::gateway::percentDecode(path);
  return 0;
}
