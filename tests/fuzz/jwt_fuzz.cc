// Tokens and key documents from arbitrary bytes: verification never crashes and never
// accepts a token it did not sign; base64url decoding is the exact inverse of encoding; JWKS
// documents and single JWKs are parsed or refused, never half-read.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.h"
#include "core/jwt.h"

namespace {

using namespace bakery;

const core::jwt::KeySet& keys() {
  static const core::jwt::KeySet set = [] {
    core::jwt::KeySet s;
    s.add(core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, "ed").value());
    s.add(core::jwt::Key::generate(core::jwt::Algorithm::kHS256, "hs").value());
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  core::jwt::VerifyOptions options{std::chrono::system_clock::time_point(std::chrono::seconds(1)),
                                   std::chrono::seconds(30), "", ""};
  // No input can carry a valid signature of keys generated in this process.
  if (core::jwt::verify(input, keys(), options).ok()) std::abort();
  if (auto decoded = core::jwt::base64UrlDecode(input)) {
    if (core::jwt::base64UrlEncode(*decoded) != input) std::abort();
  }
  if (auto doc = core::parseJson(input, "input")) {
    (void)core::jwt::KeySet::fromJwks(*doc);
    if (doc->is_object()) (void)core::jwt::Key::fromJwk(doc->as_object());
  }
  return 0;
}
