// TokenIssuer: signs this deployment's access tokens and publishes the keys that verify them.
//
// The signing keys belong to the platform (a key ring in the data directory under `bakery
// serve`), never to a handler: the capability that issues tokens is handed a TokenIssuer at
// wiring time, and no other capability sees one. The current key signs; keys retired by a
// rotation stay published until every token they signed has expired. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace bakery {

class TokenIssuer {
 public:
  virtual ~TokenIssuer() = default;
  // A compact JWS of `claims` (the caller sets every claim) under the current key, with its
  // `alg` and `kid` in the header. ServiceUnavailable before the key ring is open.
  virtual core::Result<std::string> sign(const json::object& claims) = 0;
  // `{"keys":[...]}`: the public keys of every token that may still be valid (empty `keys` for
  // HS256, whose key is a secret).
  virtual json::object jwks() const = 0;
  virtual const std::string& issuer() const = 0;    // the `iss` of our tokens
  virtual const std::string& audience() const = 0;  // the `aud` of our tokens
  virtual std::string_view algorithm() const = 0;   // "EdDSA", "RS256" or "HS256"
  virtual std::chrono::seconds accessTokenLifetime() const = 0;
};

}  // namespace bakery
