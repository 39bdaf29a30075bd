// JSON Web Tokens: signing keys (JWK), compact JWS signing and verification, claim checks.
//
// Three algorithms: EdDSA over Ed25519 (RFC 8037, libsodium), RS256 (RSASSA-PKCS1-v1_5 with
// SHA-256, OpenSSL) and HS256 (HMAC-SHA-256, OpenSSL). Verification is strict by design,
// because the attacks on JWT libraries are attacks on leniency:
//   - the algorithm comes from the key, never from the token: a header `alg` that differs
//     from the key's algorithm is refused (so `none`, and HS256 "signed" with a public key,
//     never verify);
//   - `kid` is required and must name a key of the set;
//   - segments are unpadded base64url with no stray characters, the header and claims are
//     JSON objects, `crit` is refused, and the whole token has a size limit;
//   - `exp` is required; `nbf` and `iat` must not lie in the future (beyond the leeway);
//     `iss` and `aud` must equal the expected values when those are set.
// Key and KeySet are immutable values once built (copies share the key material) and safe
// to use from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace bakery::core::jwt {

enum class Algorithm { kEdDSA, kRS256, kHS256 };

// "EdDSA", "RS256", "HS256".
std::string_view algorithmName(Algorithm algorithm);
std::optional<Algorithm> parseAlgorithm(std::string_view name);

// One key of one algorithm, named by `kid`. A key holds private material (it can sign) or
// only public material (it can verify). HS256 keys are secrets: they are never published.
class Key {
 public:
  // A fresh key: Ed25519 from libsodium, RSA 2048 bits (e = 65537), or 32 random bytes.
  static Result<Key> generate(Algorithm algorithm, std::string kid);
  // A key from its JWK (RFC 7517/7518/8037): `{"kty":"OKP","crv":"Ed25519","x"[,"d"]}`,
  // `{"kty":"RSA","n","e"[,"d","p","q","dp","dq","qi"]}` or `{"kty":"oct","k"}`; `kid` is
  // required, `alg` when present must agree with the key type, `use` when present must be
  // "sig". ValidationException naming the member otherwise. The material is checked too: `x`
  // must be a valid Ed25519 point and the public key of `d` (the 32-byte seed); an RSA modulus
  // has 2048 to 8192 bits, and private numbers come all together and must match it; `k` has at
  // least 32 bytes (RFC 7518 section 3.2).
  static Result<Key> fromJwk(const json::object& jwk);

  const std::string& kid() const;
  Algorithm algorithm() const;
  bool canSign() const;
  // The public JWK with kid, alg and `"use":"sig"`; empty for HS256 keys.
  json::object publicJwk() const;
  // The full JWK including private members, for storing the key (never for publishing).
  json::object privateJwk() const;

  // The raw signature of `signingInput` (requires canSign()).
  Result<std::string> signBytes(std::string_view signingInput) const;
  // True when `signature` is this key's valid signature of `signingInput`; HS256 compares
  // in constant time.
  bool verifyBytes(std::string_view signingInput, std::string_view signature) const;

  struct Material;  // defined in jwt.cc

 private:
  explicit Key(std::shared_ptr<const Material> material) : material_(std::move(material)) {}
  std::shared_ptr<const Material> material_;
};

// Keys by kid.
class KeySet {
 public:
  // Replaces any key with the same kid.
  void add(Key key);
  const Key* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  const std::vector<Key>& keys() const { return keys_; }
  // `{"keys":[...public JWKs...]}` (HS256 keys left out).
  json::object publicJwks() const;
  // A JWKS document (RFC 7517 section 5) as published by an issuer: keys that cannot be
  // parsed, or are not signature keys of our three algorithms, are skipped, not fatal. So are
  // "oct" keys: a shared secret that was published is no secret. ValidationException when the
  // document is not an object with a "keys" array.
  static Result<KeySet> fromJwks(const json::value& jwks);

 private:
  std::vector<Key> keys_;
};

// `header.payload.signature` with header {"alg", "typ":"JWT", "kid"} and `claims` as the
// payload. Fails when the key cannot sign, or when the token would exceed kMaxTokenBytes
// (which verify() refuses).
Result<std::string> sign(const Key& key, const json::object& claims);

inline constexpr std::size_t kMaxTokenBytes = 8192;

struct VerifyOptions {
  // Required: left at its default (the epoch), no token would ever count as expired.
  std::chrono::system_clock::time_point now;
  std::chrono::seconds leeway{30};  // clock skew allowed on exp, nbf and iat
  std::string issuer;               // required `iss`; empty: not checked
  std::string audience;             // in `aud` (a string or an array); empty: not checked
};

struct VerifiedToken {
  json::object header;
  json::object claims;
  std::chrono::system_clock::time_point expiresAt;
};

// Verifies `token` against `keys`. The signature is checked before the claims are parsed.
// Every failure is a 401 with type `InvalidTokenException`
// and a message saying what was wrong (malformed, unsupported algorithm, bad signature,
// expired, not yet valid, issued in the future, wrong issuer, wrong audience), except an
// unknown kid: type `UnknownKeyException` (also 401), so a caller whose key set comes from a
// remote JWKS knows to refresh it.
Result<VerifiedToken> verify(std::string_view token, const KeySet& keys,
                             const VerifyOptions& options);

// base64url without padding (RFC 7515 section 2), and its strict inverse: nullopt for
// padding, characters outside the alphabet, a length that no encoding produces, or non-zero
// unused bits in the last character (so that each byte string has exactly one encoding).
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace bakery::core::jwt
