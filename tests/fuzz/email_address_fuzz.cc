// Email addresses from arbitrary bytes: normalization never crashes, its output is valid
// UTF-8 within the limit, and normalizing a normal form changes nothing (idempotence).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/email_address.h"
#include "core/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto email = bakery::core::normalizeEmail(input);
  if (!email) return 0;
  if (!bakery::core::isValidUtf8(email->normalized) ||
      email->normalized.size() > bakery::core::kMaxEmailBytes) {
    std::abort();
  }
  auto again = bakery::core::normalizeEmail(email->normalized);
  if (!again || again->normalized != email->normalized || again->skeleton != email->skeleton) {
    std::abort();
  }
  return 0;
}
