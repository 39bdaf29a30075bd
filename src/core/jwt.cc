#include "core/jwt.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "core/crypto.h"
#include "core/encoding.h"

namespace bakery::core::jwt {

// The key material behind a Key; immutable once built and shared by the Key's copies.
struct Key::Material {
  Material(Algorithm a, std::string k) : algorithm(a), kid(std::move(k)) {}
  ~Material() {
    EVP_PKEY_free(rsa);
    sodium_memzero(secret.data(), secret.size());
  }
  Material(const Material&) = delete;
  Material& operator=(const Material&) = delete;

  Algorithm algorithm;
  std::string kid;
  bool canSign = false;
  // EdDSA: the 32-byte public key. RS256: the JWK's base64url "n" and "e".
  std::string publicKey;
  std::string rsaModulus;
  std::string rsaExponent;
  // EdDSA: libsodium's 64-byte secret key (seed || public key), when the key can sign.
  // HS256: the shared secret.
  std::string secret;
  // RS256: the public key, or the key pair when the key can sign.
  EVP_PKEY* rsa = nullptr;
  std::size_t rsaSignatureBytes = 0;
};

namespace {

using MaterialPtr = std::shared_ptr<Key::Material>;

constexpr std::size_t kMinHmacKeyBytes = 32;  // RFC 7518 section 3.2: at least the hash size
constexpr int kMinRsaBits = 2048;             // RFC 7518 section 3.3
constexpr int kMaxRsaBits = 8192;             // bounds the cost of one verification
constexpr int kGeneratedRsaBits = 2048;

bool sodiumReady() {
  // sodium_init() is idempotent and thread-safe; the static only saves the repeated call.
  static const bool ready = sodium_init() >= 0;
  return ready;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};

Error invalidToken(std::string message) {
  return Error("InvalidTokenException", 401, std::move(message));
}

Error invalidMember(std::string_view member, std::string_view what) {
  return Error::validation("JWK member \"" + std::string(member) + "\" " + std::string(what),
                           std::string(member));
}

// ---- RSA through OpenSSL 3's EVP API ----

// The JWK members of an RSA key in the order RFC 7518 section 6.3 lists them, with the
// OpenSSL parameter each one maps to.
struct RsaMember {
  const char* jwkName;
  const char* paramName;
};
constexpr std::array<RsaMember, 8> kRsaMembers = {{
    {"n", OSSL_PKEY_PARAM_RSA_N},
    {"e", OSSL_PKEY_PARAM_RSA_E},
    {"d", OSSL_PKEY_PARAM_RSA_D},
    {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
}};
constexpr std::size_t kRsaPublicMembers = 2;

// The unsigned big-endian bytes of one of the key's numbers, base64url-encoded; empty when
// the key does not hold it.
std::string rsaNumber(const EVP_PKEY* pkey, const char* paramName) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, paramName, &raw) != 1) return {};
  Bn bn(raw);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), bytes(out));
  std::string encoded = base64UrlEncode(out);
  sodium_memzero(out.data(), out.size());
  return encoded;
}

// Fills in what every RSA Material needs once its EVP_PKEY is set.
void finishRsa(Key::Material& m) {
  m.rsaModulus = rsaNumber(m.rsa, OSSL_PKEY_PARAM_RSA_N);
  m.rsaExponent = rsaNumber(m.rsa, OSSL_PKEY_PARAM_RSA_E);
  m.rsaSignatureBytes = static_cast<std::size_t>(EVP_PKEY_get_size(m.rsa));
}

// `numbers` holds the decoded JWK numbers in kRsaMembers order: the first two, or all eight.
Result<MaterialPtr> rsaFromNumbers(std::string kid, const std::vector<std::string>& numbers) {
  const bool isPrivate = numbers.size() == kRsaMembers.size();
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return Error::internal();
  std::vector<Bn> bns;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    Bn bn(BN_bin2bn(bytes(numbers[i]), static_cast<int>(numbers[i].size()), nullptr));
    if (bn == nullptr) return Error::internal();
    if (BN_is_zero(bn.get())) return invalidMember(kRsaMembers[i].jwkName, "must not be zero");
    if (i == 0) {
      int bits = BN_num_bits(bn.get());
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return invalidMember("n", "must be a modulus of 2048 to 8192 bits");
      }
    }
    if (i == 1 && (!BN_is_odd(bn.get()) || BN_is_one(bn.get()) || BN_num_bits(bn.get()) > 64)) {
      return invalidMember("e", "must be an odd public exponent above 1 of at most 64 bits");
    }
    if (OSSL_PARAM_BLD_push_BN(bld.get(), kRsaMembers[i].paramName, bn.get()) != 1) {
      return Error::internal();
    }
    bns.push_back(std::move(bn));
  }
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return Error::internal();
  }
  auto m = std::make_shared<Key::Material>(Algorithm::kRS256, std::move(kid));
  if (EVP_PKEY_fromdata(ctx.get(), &m->rsa, isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return invalidMember("n", "and the other numbers do not form an RSA key");
  }
  if (isPrivate) {
    // The private numbers must belong to the public ones: a JWK whose "d" signs for another
    // modulus would produce tokens that never verify.
    PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, m->rsa, nullptr));
    if (check == nullptr || EVP_PKEY_pairwise_check(check.get()) != 1) {
      return invalidMember("d", "and the primes do not match the public key");
    }
    m->canSign = true;
  }
  finishRsa(*m);
  return MaterialPtr(std::move(m));
}

Result<MaterialPtr> generateRsa(std::string kid) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kGeneratedRsaBits) != 1) {
    return Error::internal();
  }
  auto m = std::make_shared<Key::Material>(Algorithm::kRS256, std::move(kid));
  if (EVP_PKEY_generate(ctx.get(), &m->rsa) != 1) return Error::internal();
  m->canSign = true;
  finishRsa(*m);
  return MaterialPtr(std::move(m));
}

Result<std::string> rsaSign(EVP_PKEY* pkey, std::string_view input) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(input), input.size()) != 1) {
    return Error::internal();
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), bytes(sig), &len, bytes(input), input.size()) != 1) {
    return Error::internal();
  }
  sig.resize(len);
  return sig;
}

bool rsaVerify(EVP_PKEY* pkey, std::string_view input, std::string_view sig) {
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx != nullptr &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) ==
             1 &&
         EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(input), input.size()) == 1;
}

// ---- Ed25519 through libsodium ----

Result<MaterialPtr> ed25519FromSeed(std::string kid, std::string_view seed) {
  auto m = std::make_shared<Key::Material>(Algorithm::kEdDSA, std::move(kid));
  m->publicKey.resize(crypto_sign_PUBLICKEYBYTES);
  m->secret.resize(crypto_sign_SECRETKEYBYTES);
  if (crypto_sign_seed_keypair(bytes(m->publicKey), bytes(m->secret), bytes(seed)) != 0) {
    return Error::internal();
  }
  m->canSign = true;
  return MaterialPtr(std::move(m));
}

// ---- JWK members ----

// The base64url member `name`: nullopt when absent, an error naming it when present but not
// a string of strict unpadded base64url.
Result<std::optional<std::string>> optionalBytes(const json::object& jwk, std::string_view name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return std::optional<std::string>();
  if (!it->value().is_string()) return invalidMember(name, "must be a base64url string");
  const json::string& s = it->value().get_string();
  auto decoded = base64UrlDecode(std::string_view(s.data(), s.size()));
  if (!decoded) return invalidMember(name, "is not unpadded base64url");
  return std::optional<std::string>(std::move(*decoded));
}

Result<std::string> requiredBytes(const json::object& jwk, std::string_view name) {
  auto value = optionalBytes(jwk, name);
  if (!value.ok()) return value.error();
  if (!value->has_value() || (*value)->empty()) return invalidMember(name, "is required");
  return std::move(**value);
}

Result<MaterialPtr> okpFromJwk(std::string kid, const json::object& jwk) {
  auto crv = stringMember(jwk, "crv");
  if (!crv || *crv != "Ed25519") return invalidMember("crv", "must be \"Ed25519\"");
  auto x = requiredBytes(jwk, "x");
  if (!x.ok()) return x.error();
  if (x->size() != crypto_sign_PUBLICKEYBYTES ||
      crypto_core_ed25519_is_valid_point(bytes(*x)) != 1) {
    return invalidMember("x", "must be a 32-byte Ed25519 public key");
  }
  auto d = optionalBytes(jwk, "d");
  if (!d.ok()) return d.error();
  if (!d->has_value()) {
    auto m = std::make_shared<Key::Material>(Algorithm::kEdDSA, std::move(kid));
    m->publicKey = std::move(*x);
    return MaterialPtr(std::move(m));
  }
  if ((*d)->size() != crypto_sign_SEEDBYTES) return invalidMember("d", "must be a 32-byte seed");
  auto m = ed25519FromSeed(std::move(kid), **d);
  sodium_memzero((*d)->data(), (*d)->size());
  if (!m.ok()) return m;
  if ((*m)->publicKey != *x) return invalidMember("x", "is not the public key of \"d\"");
  return m;
}

Result<MaterialPtr> rsaFromJwk(std::string kid, const json::object& jwk) {
  std::vector<std::string> numbers;
  auto wipe = [&numbers] {
    for (auto& n : numbers) sodium_memzero(n.data(), n.size());
  };
  bool isPrivate = jwk.contains("d");
  for (std::size_t i = 0; i < kRsaMembers.size(); ++i) {
    if (i >= kRsaPublicMembers && !isPrivate) {
      // Private members without "d" are a half-written key, not a public one.
      if (jwk.contains(kRsaMembers[i].jwkName)) return invalidMember("d", "is required");
      continue;
    }
    auto number = requiredBytes(jwk, kRsaMembers[i].jwkName);
    if (!number.ok()) {
      wipe();
      return number.error();
    }
    numbers.push_back(std::move(*number));
  }
  auto m = rsaFromNumbers(std::move(kid), numbers);
  wipe();
  return m;
}

Result<MaterialPtr> octFromJwk(std::string kid, const json::object& jwk) {
  auto k = requiredBytes(jwk, "k");
  if (!k.ok()) return k.error();
  if (k->size() < kMinHmacKeyBytes) {
    sodium_memzero(k->data(), k->size());
    return invalidMember("k", "must be at least 32 bytes");
  }
  auto m = std::make_shared<Key::Material>(Algorithm::kHS256, std::move(kid));
  m->secret = std::move(*k);
  m->canSign = true;
  return MaterialPtr(std::move(m));
}

// ---- Claims ----

// NumericDate values (RFC 7519 section 2) as seconds since the epoch, within what a
// system_clock::time_point can hold.
const double kMaxNumericDate = static_cast<double>(
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
        .count());

// The NumericDate claim `name`: nullopt when absent; an error when present but not a number in
// range.
Result<std::optional<double>> numericDate(const json::object& claims, std::string_view name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<double>();
  const json::value& v = it->value();
  if (!v.is_number()) return invalidToken(std::string(name) + " is not a number");
  double seconds = v.to_number<double>();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxNumericDate) {
    return invalidToken(std::string(name) + " is out of range");
  }
  return std::optional<double>(seconds);
}

bool audienceMatches(const json::value& aud, std::string_view expected) {
  if (aud.is_string()) return aud.get_string() == expected;
  if (!aud.is_array()) return false;
  for (const json::value& v : aud.get_array()) {
    if (v.is_string() && v.get_string() == expected) return true;
  }
  return false;
}

// A segment that must hold a JSON object: decoded, parsed, or nullopt.
std::optional<json::object> objectSegment(std::string_view segment) {
  auto decoded = base64UrlDecode(segment);
  if (!decoded) return std::nullopt;
  auto parsed = parseJson(*decoded, "segment");
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  return std::move(parsed->get_object());
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> decodeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto kDecode = decodeTable();

}  // namespace

std::string_view algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kEdDSA:
      return "EdDSA";
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kHS256:
      return "HS256";
  }
  return {};
}

std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  for (Algorithm a : {Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kHS256}) {
    if (name == algorithmName(a)) return a;
  }
  return std::nullopt;
}

// ---- Key ----

Result<Key> Key::generate(Algorithm algorithm, std::string kid) {
  if (kid.empty()) return Error::validation("kid is required", "kid");
  if (!sodiumReady()) return Error::internal();
  Result<MaterialPtr> m = Error::internal();
  switch (algorithm) {
    case Algorithm::kEdDSA: {
      std::string seed(crypto_sign_SEEDBYTES, '\0');
      randombytes_buf(seed.data(), seed.size());
      m = ed25519FromSeed(std::move(kid), seed);
      sodium_memzero(seed.data(), seed.size());
      break;
    }
    case Algorithm::kRS256:
      m = generateRsa(std::move(kid));
      break;
    case Algorithm::kHS256: {
      auto material = std::make_shared<Material>(Algorithm::kHS256, std::move(kid));
      material->secret.resize(kMinHmacKeyBytes);
      randombytes_buf(material->secret.data(), material->secret.size());
      material->canSign = true;
      m = MaterialPtr(std::move(material));
      break;
    }
  }
  if (!m.ok()) return m.error();
  return Key(std::move(*m));
}

Result<Key> Key::fromJwk(const json::object& jwk) {
  if (!sodiumReady()) return Error::internal();
  auto kid = stringMember(jwk, "kid");
  if (!kid || kid->empty()) return invalidMember("kid", "is required and must be a string");
  auto kty = stringMember(jwk, "kty");
  if (!kty) return invalidMember("kty", "is required and must be a string");
  Algorithm algorithm;
  if (*kty == "OKP") {
    algorithm = Algorithm::kEdDSA;
  } else if (*kty == "RSA") {
    algorithm = Algorithm::kRS256;
  } else if (*kty == "oct") {
    algorithm = Algorithm::kHS256;
  } else {
    return invalidMember("kty", "must be \"OKP\", \"RSA\" or \"oct\"");
  }
  if (jwk.contains("alg") && stringMember(jwk, "alg") != algorithmName(algorithm)) {
    return invalidMember("alg", "must be \"" + std::string(algorithmName(algorithm)) +
                                    "\" for kty \"" + std::string(*kty) + "\"");
  }
  if (jwk.contains("use") && stringMember(jwk, "use") != "sig") {
    return invalidMember("use", "must be \"sig\"");
  }
  Result<MaterialPtr> m = Error::internal();
  switch (algorithm) {
    case Algorithm::kEdDSA:
      m = okpFromJwk(std::string(*kid), jwk);
      break;
    case Algorithm::kRS256:
      m = rsaFromJwk(std::string(*kid), jwk);
      break;
    case Algorithm::kHS256:
      m = octFromJwk(std::string(*kid), jwk);
      break;
  }
  if (!m.ok()) return m.error();
  return Key(std::move(*m));
}

const std::string& Key::kid() const { return material_->kid; }
Algorithm Key::algorithm() const { return material_->algorithm; }
bool Key::canSign() const { return material_->canSign; }

json::object Key::publicJwk() const {
  const Material& m = *material_;
  json::object jwk;
  switch (m.algorithm) {
    case Algorithm::kEdDSA:
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = base64UrlEncode(m.publicKey);
      break;
    case Algorithm::kRS256:
      jwk["kty"] = "RSA";
      jwk["n"] = m.rsaModulus;
      jwk["e"] = m.rsaExponent;
      break;
    case Algorithm::kHS256:
      return jwk;
  }
  jwk["kid"] = m.kid;
  jwk["alg"] = algorithmName(m.algorithm);
  jwk["use"] = "sig";
  return jwk;
}

json::object Key::privateJwk() const {
  const Material& m = *material_;
  if (m.algorithm == Algorithm::kHS256) {
    return json::object{{"kty", "oct"},
                        {"k", base64UrlEncode(m.secret)},
                        {"kid", m.kid},
                        {"alg", algorithmName(m.algorithm)},
                        {"use", "sig"}};
  }
  json::object jwk = publicJwk();
  if (!m.canSign) return jwk;
  if (m.algorithm == Algorithm::kEdDSA) {
    jwk["d"] = base64UrlEncode(std::string_view(m.secret).substr(0, crypto_sign_SEEDBYTES));
  } else {
    for (std::size_t i = kRsaPublicMembers; i < kRsaMembers.size(); ++i) {
      jwk[kRsaMembers[i].jwkName] = rsaNumber(m.rsa, kRsaMembers[i].paramName);
    }
  }
  return jwk;
}

Result<std::string> Key::signBytes(std::string_view signingInput) const {
  const Material& m = *material_;
  if (!m.canSign) {
    return Error::validation("key \"" + m.kid + "\" holds no private material", "kid");
  }
  switch (m.algorithm) {
    case Algorithm::kEdDSA: {
      std::string sig(crypto_sign_BYTES, '\0');
      crypto_sign_detached(bytes(sig), nullptr, bytes(signingInput), signingInput.size(),
                           bytes(m.secret));
      return sig;
    }
    case Algorithm::kRS256:
      return rsaSign(m.rsa, signingInput);
    case Algorithm::kHS256:
      return hmacSha256(m.secret, signingInput);
  }
  return Error::internal();
}

bool Key::verifyBytes(std::string_view signingInput, std::string_view signature) const {
  const Material& m = *material_;
  switch (m.algorithm) {
    case Algorithm::kEdDSA:
      return signature.size() == crypto_sign_BYTES &&
             crypto_sign_verify_detached(bytes(signature), bytes(signingInput), signingInput.size(),
                                         bytes(m.publicKey)) == 0;
    case Algorithm::kRS256:
      return signature.size() == m.rsaSignatureBytes && rsaVerify(m.rsa, signingInput, signature);
    case Algorithm::kHS256:
      return constantTimeEquals(hmacSha256(m.secret, signingInput), signature);
  }
  return false;
}

// ---- KeySet ----

void KeySet::add(Key key) {
  for (Key& k : keys_) {
    if (k.kid() == key.kid()) {
      k = std::move(key);
      return;
    }
  }
  keys_.push_back(std::move(key));
}

const Key* KeySet::find(std::string_view kid) const {
  for (const Key& k : keys_) {
    if (k.kid() == kid) return &k;
  }
  return nullptr;
}

json::object KeySet::publicJwks() const {
  json::array keys;
  for (const Key& k : keys_) {
    if (k.algorithm() != Algorithm::kHS256) keys.push_back(k.publicJwk());
  }
  return json::object{{"keys", std::move(keys)}};
}

Result<KeySet> KeySet::fromJwks(const json::value& jwks) {
  const json::value* keys = jwks.is_object() ? jwks.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return Error::validation("a JWKS is an object whose \"keys\" is an array", "keys");
  }
  KeySet set;
  for (const json::value& v : keys->get_array()) {
    if (!v.is_object()) continue;
    // A published shared secret is no secret: "oct" keys are never taken from a JWKS.
    if (stringMember(v.get_object(), "kty") == "oct") continue;
    auto key = Key::fromJwk(v.get_object());
    if (key.ok()) set.add(std::move(*key));
  }
  return set;
}

// ---- Tokens ----

Result<std::string> sign(const Key& key, const json::object& claims) {
  if (!key.canSign()) {
    return Error::validation("key \"" + key.kid() + "\" holds no private material", "kid");
  }
  json::object header{{"alg", algorithmName(key.algorithm())}, {"typ", "JWT"}, {"kid", key.kid()}};
  std::string token = base64UrlEncode(toJson(header));
  token.push_back('.');
  token += base64UrlEncode(toJson(claims));
  auto signature = key.signBytes(token);
  if (!signature.ok()) return signature.error();
  token.push_back('.');
  token += base64UrlEncode(*signature);
  if (token.size() > kMaxTokenBytes) {
    return Error::validation("the token would exceed " + std::to_string(kMaxTokenBytes) + " bytes",
                             "claims");
  }
  return token;
}

Result<VerifiedToken> verify(std::string_view token, const KeySet& keys,
                             const VerifyOptions& options) {
  if (token.size() > kMaxTokenBytes) return invalidToken("token too large");
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return invalidToken("malformed token: not three segments");
  }
  std::string_view headerText = token.substr(0, dot1);
  std::string_view claimsText = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signatureText = token.substr(dot2 + 1);
  if (headerText.empty() || claimsText.empty() || signatureText.empty()) {
    return invalidToken("malformed token: empty segment");
  }

  auto header = objectSegment(headerText);
  if (!header) return invalidToken("malformed header");
  if (header->contains("crit")) return invalidToken("critical header parameters not supported");
  auto alg = stringMember(*header, "alg");
  std::optional<Algorithm> algorithm = alg ? parseAlgorithm(*alg) : std::nullopt;
  if (!algorithm) return invalidToken("unsupported algorithm");
  auto kid = stringMember(*header, "kid");
  if (!kid || kid->empty()) return invalidToken("missing kid");
  const Key* key = keys.find(*kid);
  if (key == nullptr) return Error("UnknownKeyException", 401, "unknown key id");
  // The key decides the algorithm: a token may only name the one its key is for.
  if (*algorithm != key->algorithm()) return invalidToken("algorithm does not match the key");

  auto signature = base64UrlDecode(signatureText);
  if (!signature) return invalidToken("malformed signature");
  if (!key->verifyBytes(token.substr(0, dot2), *signature)) return invalidToken("bad signature");

  auto claims = objectSegment(claimsText);
  if (!claims) return invalidToken("malformed claims");
  const double now = std::chrono::duration<double>(options.now.time_since_epoch()).count();
  const double leeway = std::chrono::duration<double>(options.leeway).count();
  auto exp = numericDate(*claims, "exp");
  if (!exp.ok()) return exp.error();
  if (!exp->has_value()) return invalidToken("missing exp");
  if (now >= **exp + leeway) return invalidToken("token expired");
  auto nbf = numericDate(*claims, "nbf");
  if (!nbf.ok()) return nbf.error();
  if (nbf->has_value() && **nbf > now + leeway) return invalidToken("token not yet valid");
  auto iat = numericDate(*claims, "iat");
  if (!iat.ok()) return iat.error();
  if (iat->has_value() && **iat > now + leeway) return invalidToken("token issued in the future");
  if (!options.issuer.empty() && stringMember(*claims, "iss") != options.issuer) {
    return invalidToken("wrong issuer");
  }
  if (!options.audience.empty()) {
    const json::value* aud = claims->if_contains("aud");
    if (aud == nullptr || !audienceMatches(*aud, options.audience)) {
      return invalidToken("wrong audience");
    }
  }

  VerifiedToken verified;
  verified.expiresAt = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(**exp)));
  verified.header = std::move(*header);
  verified.claims = std::move(*claims);
  return verified;
}

// ---- base64url ----

std::string base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k]));
  };
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t v = at(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t v = 0;
  int bits = 0;
  for (char c : text) {
    std::int8_t d = kDecode[static_cast<unsigned char>(c)];
    if (d < 0) return std::nullopt;
    v = (v << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((v >> bits) & 0xFF));
    }
  }
  // Canonical: the bits past the last whole byte are zero, so every byte string has exactly
  // one encoding and a token cannot be altered without breaking it.
  if ((v & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace bakery::core::jwt
