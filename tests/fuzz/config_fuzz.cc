// Configuration documents from arbitrary bytes: accepted, or refused with a ValidationException
// that names a path; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "apps/bakery/serve_config.h"
#include "core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto doc = bakery::core::parseJson(input, "config");
  if (!doc) return 0;
  bakery::app::ServeConfig config;
  auto applied = bakery::app::applyConfigFile(*doc, config);
  if (!applied && applied.error().type() != "ValidationException") std::abort();
  (void)bakery::app::parseHostPort(input, "listen");
  return 0;
}
