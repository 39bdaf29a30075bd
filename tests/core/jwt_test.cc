#include "core/jwt.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/json.h"

namespace bakery::core::jwt {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "https://auth.bakery.test";
constexpr char kAudience[] = "bakery-api";

// RFC 8037 appendix A.1: an Ed25519 key pair ("d" is the seed).
constexpr char kRfc8037Jwk[] = R"({"kty":"OKP","crv":"Ed25519","kid":"ed",)"
                               R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
                               R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
// RFC 8037 appendix A.4: the JWS signing input of "Example of Ed25519 signing" and its signature.
constexpr char kRfc8037SigningInput[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr char kRfc8037Signature[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// RFC 7515 appendix A.1: the HMAC key and the signature of the example JWS.
constexpr char kRfc7515HmacJwk[] =
    R"({"kty":"oct","kid":"hmac",)"
    R"("k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr char kRfc7515HmacSigningInput[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr char kRfc7515HmacSignature[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// RFC 7515 appendix A.2: the RSA key pair and the example JWS signed with it.
constexpr char kRfc7515RsaN[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
    "4qPCJrcS2mJPMEzP1Pt0Bm4d4Q"
    "lL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbB"
    "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DW"
    "NmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr char kRfc7515RsaD[] =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-"
    "7YwVol2NXOoAJ"
    "e46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRL"
    "I9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD"
    "9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
constexpr char kRfc7515RsaP[] =
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_"
    "Py5PJdT"
    "JNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
constexpr char kRfc7515RsaQ[] =
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_"
    "Y"
    "wD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
constexpr char kRfc7515RsaDp[] =
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-"
    "FOKnu1R6Hs"
    "JeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
constexpr char kRfc7515RsaDq[] =
    "h_96-mK1R_"
    "7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-"
    "NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
constexpr char kRfc7515RsaQi[] =
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_"
    "QJQ3ydy5cY7YIBi"
    "87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";
constexpr char kRfc7515RsaSigningInput[] =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr char kRfc7515RsaSignature[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5ju"
    "jGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
    "Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipU"
    "TI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

json::object rsaPublicJwk() {
  return {{"kty", "RSA"}, {"kid", "rsa"}, {"n", kRfc7515RsaN}, {"e", "AQAB"}};
}

json::object rsaPrivateJwk() {
  json::object jwk = rsaPublicJwk();
  jwk["d"] = kRfc7515RsaD;
  jwk["p"] = kRfc7515RsaP;
  jwk["q"] = kRfc7515RsaQ;
  jwk["dp"] = kRfc7515RsaDp;
  jwk["dq"] = kRfc7515RsaDq;
  jwk["qi"] = kRfc7515RsaQi;
  return jwk;
}

json::object parseObject(std::string_view text) {
  auto v = parseJson(text, "test JSON");
  EXPECT_TRUE(v.ok() && v->is_object()) << text;
  return v.ok() && v->is_object() ? v->get_object() : json::object{};
}

Key keyFromJwk(const json::object& jwk) {
  auto key = Key::fromJwk(jwk);
  if (!key.ok()) ADD_FAILURE() << key.error().field() << ": " << key.error().message();
  return std::move(key).value();
}

std::string decoded(std::string_view text) {
  auto bytes = base64UrlDecode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

std::chrono::system_clock::time_point at(double seconds) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

std::vector<std::string> segmentsOf(std::string_view token) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t dot = token.find('.'); dot != std::string_view::npos;
       start = dot + 1, dot = token.find('.', start)) {
    out.emplace_back(token.substr(start, dot - start));
  }
  out.emplace_back(token.substr(start));
  return out;
}

// A token with exactly this header and these claims (as JSON text), signed by `key`.
std::string signedToken(std::string_view header, std::string_view claims, const Key& key) {
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(claims);
  auto signature = key.signBytes(input);
  EXPECT_TRUE(signature.ok());
  return input + "." + base64UrlEncode(signature.ok() ? *signature : "");
}

std::string headerFor(const Key& key) {
  return R"({"alg":")" + std::string(algorithmName(key.algorithm())) + R"(","kid":")" + key.kid() +
         R"("})";
}

void expectInvalid(const Result<VerifiedToken>& result, std::string_view reason) {
  ASSERT_FALSE(result.ok()) << "expected: " << reason;
  EXPECT_EQ(result.error().type(), "InvalidTokenException");
  EXPECT_EQ(result.error().status(), 401);
  EXPECT_THAT(result.error().message(), HasSubstr(std::string(reason)));
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest()
      : ed_(keyFromJwk(parseObject(kRfc8037Jwk))),
        rsa_(keyFromJwk(rsaPrivateJwk())),
        hmac_(keyFromJwk(parseObject(kRfc7515HmacJwk))) {
    keys_.add(ed_);
    keys_.add(rsa_);
    keys_.add(hmac_);
    options_.now = at(kNow);
    options_.issuer = kIssuer;
    options_.audience = kAudience;
  }

  static json::object claims() {
    return {{"iss", kIssuer}, {"sub", "user-1"},  {"aud", kAudience},
            {"iat", kNow},    {"nbf", kNow - 10}, {"exp", kNow + 300}};
  }
  std::vector<const Key*> allKeys() const { return {&ed_, &rsa_, &hmac_}; }
  // A correctly signed token of `key` whose claims are `claims` as written.
  static std::string withClaims(const Key& key, std::string_view claimsJson) {
    return signedToken(headerFor(key), claimsJson, key);
  }
  static std::string withClaims(const Key& key, const json::object& c) {
    return withClaims(key, toJson(c));
  }
  Result<VerifiedToken> check(std::string_view token) const {
    return verify(token, keys_, options_);
  }

  Key ed_;
  Key rsa_;
  Key hmac_;
  KeySet keys_;
  VerifyOptions options_;
};

// ---- Published test vectors ----

TEST_F(JwtTest, Ed25519SignatureMatchesRfc8037AppendixA4) {
  auto signature = ed_.signBytes(kRfc8037SigningInput);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(base64UrlEncode(*signature), kRfc8037Signature);
  EXPECT_TRUE(ed_.verifyBytes(kRfc8037SigningInput, decoded(kRfc8037Signature)));
  // The signing input is the RFC's header {"alg":"EdDSA"} and payload, nothing else.
  EXPECT_EQ(decoded(segmentsOf(kRfc8037SigningInput)[0]), R"({"alg":"EdDSA"})");
  EXPECT_EQ(decoded(segmentsOf(kRfc8037SigningInput)[1]), "Example of Ed25519 signing");
}

TEST_F(JwtTest, Ed25519PublicKeyOnlyVerifiesRfc8037Signature) {
  Key pub = keyFromJwk(ed_.publicJwk());
  EXPECT_FALSE(pub.canSign());
  EXPECT_TRUE(pub.verifyBytes(kRfc8037SigningInput, decoded(kRfc8037Signature)));
  EXPECT_FALSE(pub.verifyBytes(kRfc8037SigningInput + "x"s, decoded(kRfc8037Signature)));
}

TEST_F(JwtTest, HmacSignatureMatchesRfc7515AppendixA1) {
  auto signature = hmac_.signBytes(kRfc7515HmacSigningInput);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(base64UrlEncode(*signature), kRfc7515HmacSignature);
  EXPECT_TRUE(hmac_.verifyBytes(kRfc7515HmacSigningInput, decoded(kRfc7515HmacSignature)));
}

TEST_F(JwtTest, RsaPublicKeyVerifiesRfc7515AppendixA2Signature) {
  Key pub = keyFromJwk(rsaPublicJwk());
  EXPECT_FALSE(pub.canSign());
  EXPECT_TRUE(pub.verifyBytes(kRfc7515RsaSigningInput, decoded(kRfc7515RsaSignature)));
  EXPECT_FALSE(pub.verifyBytes(kRfc7515HmacSigningInput, decoded(kRfc7515RsaSignature)));
}

TEST_F(JwtTest, RsaSignatureMatchesRfc7515AppendixA2) {
  // RSASSA-PKCS1-v1_5 is deterministic: the RFC's private key reproduces its signature.
  auto signature = rsa_.signBytes(kRfc7515RsaSigningInput);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(base64UrlEncode(*signature), kRfc7515RsaSignature);
}

TEST_F(JwtTest, RefusesTheRfcExampleTokensForTheirMissingKid) {
  options_.issuer.clear();
  options_.audience.clear();
  expectInvalid(check(kRfc7515HmacSigningInput + "."s + kRfc7515HmacSignature), "missing kid");
  expectInvalid(check(kRfc7515RsaSigningInput + "."s + kRfc7515RsaSignature), "missing kid");
}

// ---- base64url ----

TEST(Base64UrlTest, EncodesWithTheUrlAlphabetAndNoPadding) {
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RoundTripsEveryLengthAndByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= 70; ++len) {
    std::string part = bytes.substr(256 - len * 3 % 256, len);
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(part)), part) << len;
  }
  EXPECT_EQ(base64UrlDecode(base64UrlEncode(bytes)), bytes);
}

TEST(Base64UrlTest, DecodeRefusesPaddingAndCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64UrlDecode("Zg=="), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm8="), std::nullopt);
  EXPECT_EQ(base64UrlDecode("+/8"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9v\n"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9v."), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm\0v"s), std::nullopt);
}

TEST(Base64UrlTest, DecodeRefusesALengthNoEncodingProduces) {
  EXPECT_EQ(base64UrlDecode("Z"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9vY"), std::nullopt);
}

TEST(Base64UrlTest, DecodeRefusesNonZeroTrailingBits) {
  // "Zg" and "Zh" would both decode to "f" if the unused low bits were ignored.
  EXPECT_EQ(base64UrlDecode("Zg"), "f");
  EXPECT_EQ(base64UrlDecode("Zh"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm8"), "fo");
  EXPECT_EQ(base64UrlDecode("Zm9"), std::nullopt);
}

// ---- Keys and JWKs ----

TEST(JwtKeyTest, AlgorithmNamesRoundTrip) {
  for (Algorithm a : {Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kHS256}) {
    EXPECT_EQ(parseAlgorithm(algorithmName(a)), a);
  }
  EXPECT_EQ(parseAlgorithm("none"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("eddsa"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("HS384"), std::nullopt);
}

TEST(JwtKeyTest, GeneratedKeysOfEachAlgorithmSignAndVerify) {
  for (Algorithm a : {Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kHS256}) {
    auto key = Key::generate(a, "k-" + std::string(algorithmName(a)));
    ASSERT_TRUE(key.ok()) << algorithmName(a);
    EXPECT_EQ(key->algorithm(), a);
    EXPECT_TRUE(key->canSign());
    auto signature = key->signBytes("input");
    ASSERT_TRUE(signature.ok());
    EXPECT_TRUE(key->verifyBytes("input", *signature));
    EXPECT_FALSE(key->verifyBytes("inpuT", *signature));
  }
}

TEST(JwtKeyTest, GenerateRequiresAKid) {
  auto key = Key::generate(Algorithm::kEdDSA, "");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().field(), "kid");
}

TEST(JwtKeyTest, GeneratedRsaKeyIs2048BitsWithExponent65537) {
  auto key = Key::generate(Algorithm::kRS256, "rsa");
  ASSERT_TRUE(key.ok());
  json::object jwk = key->publicJwk();
  EXPECT_EQ(decoded(jwk["n"].as_string()).size(), 256u);
  EXPECT_EQ(jwk["e"], "AQAB");
  auto signature = key->signBytes("x");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 256u);
}

TEST_F(JwtTest, PublicJwkCarriesKidAlgAndUseButNoPrivateMembers) {
  json::object ed = ed_.publicJwk();
  EXPECT_EQ(ed, parseObject(R"({"kty":"OKP","crv":"Ed25519",)"
                            R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
                            R"("kid":"ed","alg":"EdDSA","use":"sig"})"));
  json::object rsa = rsa_.publicJwk();
  EXPECT_EQ(rsa["n"], kRfc7515RsaN);
  EXPECT_EQ(rsa["e"], "AQAB");
  EXPECT_EQ(rsa["alg"], "RS256");
  EXPECT_EQ(rsa["use"], "sig");
  EXPECT_EQ(rsa["kid"], "rsa");
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) EXPECT_FALSE(rsa.contains(member));
}

TEST_F(JwtTest, HmacKeysAreNeverPublished) {
  EXPECT_TRUE(hmac_.publicJwk().empty());
  json::object jwks = keys_.publicJwks();
  const json::array& published = jwks["keys"].as_array();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0].as_object().at("kid"), "ed");
  EXPECT_EQ(published[1].as_object().at("kid"), "rsa");
}

TEST_F(JwtTest, PrivateJwkRoundTripsTheRfcKeys) {
  json::object ed = parseObject(kRfc8037Jwk);
  ed["alg"] = "EdDSA";
  ed["use"] = "sig";
  EXPECT_EQ(ed_.privateJwk(), ed);
  json::object rsa = rsaPrivateJwk();
  rsa["alg"] = "RS256";
  rsa["use"] = "sig";
  EXPECT_EQ(rsa_.privateJwk(), rsa);
  json::object hmac = parseObject(kRfc7515HmacJwk);
  hmac["alg"] = "HS256";
  hmac["use"] = "sig";
  EXPECT_EQ(hmac_.privateJwk(), hmac);
}

TEST(JwtKeyTest, PrivateJwkOfAGeneratedKeyRebuildsAKeyThatSignsTheSame) {
  for (Algorithm a : {Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kHS256}) {
    auto key = Key::generate(a, "gen");
    ASSERT_TRUE(key.ok());
    Key copy = keyFromJwk(key->privateJwk());
    EXPECT_TRUE(copy.canSign());
    EXPECT_EQ(copy.privateJwk(), key->privateJwk()) << algorithmName(a);
    EXPECT_EQ(copy.publicJwk(), key->publicJwk()) << algorithmName(a);
    // Ed25519 and RSASSA-PKCS1-v1_5 and HMAC are all deterministic.
    EXPECT_EQ(copy.signBytes("msg").value(), key->signBytes("msg").value()) << algorithmName(a);
  }
}

TEST_F(JwtTest, PublicJwkRebuildsAKeyThatVerifiesButCannotSign) {
  for (const Key* key : {&ed_, &rsa_}) {
    Key pub = keyFromJwk(key->publicJwk());
    EXPECT_FALSE(pub.canSign());
    EXPECT_EQ(pub.publicJwk(), key->publicJwk());
    EXPECT_EQ(pub.privateJwk(), key->publicJwk());
    EXPECT_FALSE(pub.signBytes("x").ok());
    EXPECT_FALSE(sign(pub, claims()).ok());
    KeySet set;
    set.add(pub);
    auto token = sign(*key, claims());
    ASSERT_TRUE(token.ok());
    EXPECT_TRUE(verify(*token, set, options_).ok()) << key->kid();
  }
}

struct BadJwk {
  std::string jwk;
  std::string field;
};

TEST(JwtKeyTest, FromJwkNamesTheOffendingMember) {
  const std::string x = R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")";
  const std::string rsa = R"("kty":"RSA","kid":"r","n":")" + std::string(kRfc7515RsaN) + R"(")";
  const std::vector<BadJwk> cases = {
      {R"({"kty":"OKP","crv":"Ed25519",)" + x + "}", "kid"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"",)" + x + "}", "kid"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":7,)" + x + "}", "kid"},
      {R"({"crv":"Ed25519","kid":"k",)" + x + "}", "kty"},
      {R"({"kty":"EC","crv":"P-256","kid":"k",)" + x + "}", "kty"},
      {R"({"kty":"OKP","crv":"X25519","kid":"k",)" + x + "}", "crv"},
      {R"({"kty":"OKP","kid":"k",)" + x + "}", "crv"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","alg":"RS256",)" + x + "}", "alg"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","alg":"none",)" + x + "}", "alg"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","use":"enc",)" + x + "}", "use"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k"})", "x"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA"})", "x"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="})",
       "x"},
      // All zero: a small-order point, which verifies forged signatures.
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})",
       "x"},
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k","d":"AAAA",)" + x + "}", "d"},
      // A valid seed whose public key is not "x".
      {R"({"kty":"OKP","crv":"Ed25519","kid":"k",)"
       R"("d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",)" +
           x + "}",
       "x"},
      {"{" + rsa + "}", "e"},
      {R"({"kty":"RSA","kid":"r","e":"AQAB"})", "n"},
      {"{" + rsa + R"(,"e":"AAAA"})", "e"},
      {"{" + rsa + R"(,"e":"AQAA"})", "e"},
      {R"({"kty":"RSA","kid":"r","e":"AQAB","n":"AQAB"})", "n"},
      {"{" + rsa + R"(,"e":"AQAB","d":")" + kRfc7515RsaD + R"("})", "p"},
      {"{" + rsa + R"(,"e":"AQAB","p":")" + kRfc7515RsaP + R"("})", "d"},
      {R"({"kty":"oct","kid":"h","k":"c2hvcnQ"})", "k"},
      {R"({"kty":"oct","kid":"h"})", "k"},
      {R"({"kty":"oct","kid":"h","k":42})", "k"},
  };
  for (const auto& c : cases) {
    auto key = Key::fromJwk(parseObject(c.jwk));
    ASSERT_FALSE(key.ok()) << c.jwk;
    EXPECT_EQ(key.error().type(), "ValidationException") << c.jwk;
    EXPECT_EQ(key.error().field(), c.field) << c.jwk << ": " << key.error().message();
    EXPECT_THAT(key.error().message(), HasSubstr('"' + c.field + '"')) << c.jwk;
  }
}

TEST(JwtKeyTest, FromJwkRefusesRsaPrivateNumbersOfAnotherKey) {
  auto other = Key::generate(Algorithm::kRS256, "other");
  ASSERT_TRUE(other.ok());
  json::object jwk = rsaPrivateJwk();
  jwk["d"] = other->privateJwk()["d"];
  auto key = Key::fromJwk(jwk);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().field(), "d");
}

TEST(JwtKeyTest, FromJwkAcceptsMatchingAlgAndUse) {
  json::object jwk = rsaPublicJwk();
  jwk["alg"] = "RS256";
  jwk["use"] = "sig";
  EXPECT_TRUE(Key::fromJwk(jwk).ok());
}

TEST(JwtKeySetTest, AddReplacesTheKeyWithTheSameKid) {
  KeySet set;
  set.add(Key::generate(Algorithm::kEdDSA, "a").value());
  set.add(Key::generate(Algorithm::kHS256, "b").value());
  set.add(Key::generate(Algorithm::kHS256, "a").value());
  EXPECT_EQ(set.size(), 2u);
  ASSERT_NE(set.find("a"), nullptr);
  EXPECT_EQ(set.find("a")->algorithm(), Algorithm::kHS256);
  EXPECT_EQ(set.find("c"), nullptr);
}

TEST(JwtKeySetTest, FromJwksSkipsKeysItCannotUse) {
  auto ed = Key::generate(Algorithm::kEdDSA, "ed").value();
  json::object encryption = ed.publicJwk();
  encryption["kid"] = "enc";
  encryption["use"] = "enc";
  json::array keys = {
      ed.publicJwk(),
      rsaPublicJwk(),
      encryption,
      parseObject(R"({"kty":"EC","crv":"P-256","kid":"ec","x":"AAAA","y":"AAAA"})"),
      parseObject(R"({"kty":"OKP","crv":"Ed25519","kid":"bad","x":"!"})"),
      // Shared secrets published in a JWKS are no secrets: never accepted from one.
      parseObject(kRfc7515HmacJwk),
      "not a key",
      nullptr,
  };
  auto set = KeySet::fromJwks(json::object{{"keys", keys}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->size(), 2u);
  EXPECT_NE(set->find("ed"), nullptr);
  EXPECT_NE(set->find("rsa"), nullptr);
  EXPECT_EQ(set->find("hmac"), nullptr);
}

TEST(JwtKeySetTest, FromJwksRoundTripsPublicJwks) {
  KeySet set;
  set.add(Key::generate(Algorithm::kEdDSA, "ed").value());
  set.add(keyFromJwk(rsaPublicJwk()));
  auto back = KeySet::fromJwks(set.publicJwks());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->publicJwks(), set.publicJwks());
}

TEST(JwtKeySetTest, FromJwksRefusesADocumentWithoutAKeysArray) {
  EXPECT_FALSE(KeySet::fromJwks(json::array{}).ok());
  EXPECT_FALSE(KeySet::fromJwks(json::object{}).ok());
  EXPECT_FALSE(KeySet::fromJwks(json::object{{"keys", "x"}}).ok());
}

// ---- Sign and verify ----

TEST_F(JwtTest, RoundTripsEachAlgorithm) {
  for (const Key* key : allKeys()) {
    auto token = sign(*key, claims());
    ASSERT_TRUE(token.ok()) << key->kid();
    auto verified = check(*token);
    ASSERT_TRUE(verified.ok()) << key->kid() << ": " << verified.error().message();
    EXPECT_EQ(verified->claims, claims());
    EXPECT_EQ(verified->header,
              (json::object{
                  {"alg", algorithmName(key->algorithm())}, {"typ", "JWT"}, {"kid", key->kid()}}));
    EXPECT_EQ(verified->expiresAt, at(kNow + 300));
  }
}

TEST_F(JwtTest, AcceptsAFractionalExp) {
  json::object c = claims();
  c["exp"] = kNow + 0.5;
  options_.leeway = std::chrono::seconds(0);
  auto verified = check(withClaims(ed_, c));
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->expiresAt, at(kNow) + std::chrono::milliseconds(500));
}

TEST_F(JwtTest, SignRefusesClaimsThatMakeTheTokenTooLarge) {
  json::object c = claims();
  c["padding"] = std::string(kMaxTokenBytes, 'p');
  auto token = sign(ed_, c);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().field(), "claims");
}

TEST_F(JwtTest, AcceptsATokenJustUnderTheSizeLimit) {
  json::object c = claims();
  std::string largest;
  for (std::size_t pad = 5000; pad < 7000; ++pad) {
    c["padding"] = std::string(pad, 'p');
    auto token = sign(ed_, c);
    if (!token.ok()) break;
    largest = *token;
  }
  ASSERT_GE(largest.size(), kMaxTokenBytes - 3);
  ASSERT_LE(largest.size(), kMaxTokenBytes);
  EXPECT_TRUE(check(largest).ok());
}

// ---- Attacks: the algorithm ----

TEST_F(JwtTest, RefusesAlgNone) {
  std::string claimsText = base64UrlEncode(toJson(claims()));
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    std::string header = base64UrlEncode(R"({"alg":")" + std::string(alg) + R"(","kid":"ed"})");
    expectInvalid(check(header + "." + claimsText + "."), "malformed");
    expectInvalid(check(header + "." + claimsText), "malformed");
  }
}

TEST_F(JwtTest, RefusesAlgNoneWithASignature) {
  std::string input =
      base64UrlEncode(R"({"alg":"none","kid":"ed"})") + "." + base64UrlEncode(toJson(claims()));
  // Signed correctly by the key the kid names, so only `alg` is wrong.
  std::string token = input + "." + base64UrlEncode(ed_.signBytes(input).value());
  expectInvalid(check(token), "unsupported algorithm");
  expectInvalid(check(input + ".AAAA"), "unsupported algorithm");
}

TEST_F(JwtTest, RefusesAMissingOrNonStringAlg) {
  expectInvalid(check(signedToken(R"({"kid":"ed"})", toJson(claims()), ed_)),
                "unsupported algorithm");
  expectInvalid(check(signedToken(R"({"alg":["EdDSA"],"kid":"ed"})", toJson(claims()), ed_)),
                "unsupported algorithm");
}

TEST_F(JwtTest, RefusesHs256SignedWithTheEd25519PublicKey) {
  const std::string header = R"({"alg":"HS256","kid":"ed"})";
  const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(toJson(claims()));
  std::string rawKey = decoded(ed_.publicJwk()["x"].as_string());
  for (const std::string& hmacKey : {rawKey, toJson(ed_.publicJwk()), toJson(keys_.publicJwks()),
                                     std::string(ed_.publicJwk()["x"].as_string())}) {
    std::string token = input + "." + base64UrlEncode(hmacSha256(hmacKey, input));
    expectInvalid(check(token), "algorithm does not match the key");
  }
}

TEST_F(JwtTest, RefusesHs256SignedWithTheRsaPublicKey) {
  const std::string header = R"({"alg":"HS256","kid":"rsa"})";
  const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(toJson(claims()));
  for (const std::string& hmacKey : {decoded(kRfc7515RsaN), toJson(rsa_.publicJwk())}) {
    std::string token = input + "." + base64UrlEncode(hmacSha256(hmacKey, input));
    expectInvalid(check(token), "algorithm does not match the key");
  }
}

TEST_F(JwtTest, RefusesAHeaderAlgOtherThanTheKeysEvenWhenTheSignatureIsValid) {
  // Each key signs for itself, but the header names another of our algorithms.
  for (const Key* key : allKeys()) {
    for (Algorithm other : {Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kHS256}) {
      if (other == key->algorithm()) continue;
      std::string header =
          R"({"alg":")" + std::string(algorithmName(other)) + R"(","kid":")" + key->kid() + R"("})";
      expectInvalid(check(signedToken(header, toJson(claims()), *key)),
                    "algorithm does not match the key");
    }
  }
}

// ---- Attacks: the key id ----

TEST_F(JwtTest, UnknownKidIsAnUnknownKeyError) {
  auto other = Key::generate(Algorithm::kEdDSA, "rotated-in").value();
  auto result = check(sign(other, claims()).value());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "UnknownKeyException");
  EXPECT_EQ(result.error().status(), 401);
}

TEST_F(JwtTest, RefusesAMissingKid) {
  expectInvalid(check(signedToken(R"({"alg":"EdDSA"})", toJson(claims()), ed_)), "missing kid");
  expectInvalid(check(signedToken(R"({"alg":"EdDSA","kid":""})", toJson(claims()), ed_)),
                "missing kid");
  expectInvalid(check(signedToken(R"({"alg":"EdDSA","kid":7})", toJson(claims()), ed_)),
                "missing kid");
}

TEST_F(JwtTest, RefusesATokenSignedByAnotherKeyWithTheSameKid) {
  for (const Key* key : allKeys()) {
    auto impostor = Key::generate(key->algorithm(), key->kid()).value();
    expectInvalid(check(sign(impostor, claims()).value()), "bad signature");
  }
}

// ---- Attacks: the signature and the payload ----

TEST_F(JwtTest, RefusesEveryFlippedSignatureByte) {
  for (const Key* key : allKeys()) {
    auto parts = segmentsOf(sign(*key, claims()).value());
    std::string signature = decoded(parts[2]);
    for (std::size_t i = 0; i < signature.size(); ++i) {
      for (unsigned char mask : {0x01, 0x80}) {
        std::string flipped = signature;
        flipped[i] = static_cast<char>(flipped[i] ^ mask);
        auto result = check(parts[0] + "." + parts[1] + "." + base64UrlEncode(flipped));
        ASSERT_FALSE(result.ok()) << key->kid() << " byte " << i;
        EXPECT_EQ(result.error().message(), "bad signature");
      }
    }
  }
}

TEST_F(JwtTest, RefusesEveryAlteredSignatureCharacter) {
  // At the text level too: the last character of a signature carries unused bits, which a
  // lenient decoder would ignore.
  for (const Key* key : allKeys()) {
    auto parts = segmentsOf(sign(*key, claims()).value());
    for (std::size_t i = 0; i < parts[2].size(); ++i) {
      std::string altered = parts[2];
      altered[i] = altered[i] == 'A' ? 'B' : 'A';
      EXPECT_FALSE(check(parts[0] + "." + parts[1] + "." + altered).ok())
          << key->kid() << " char " << i;
    }
  }
}

TEST_F(JwtTest, RefusesTruncatedOrExtendedSignatures) {
  for (const Key* key : allKeys()) {
    auto parts = segmentsOf(sign(*key, claims()).value());
    std::string signature = decoded(parts[2]);
    for (const std::string& s :
         {signature.substr(0, signature.size() - 1), signature + '\0', signature + signature}) {
      expectInvalid(check(parts[0] + "." + parts[1] + "." + base64UrlEncode(s)), "bad signature");
    }
  }
}

TEST_F(JwtTest, RefusesEveryFlippedPayloadByte) {
  for (const Key* key : allKeys()) {
    auto parts = segmentsOf(sign(*key, claims()).value());
    std::string payload = decoded(parts[1]);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      std::string flipped = payload;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
      auto result = check(parts[0] + "." + base64UrlEncode(flipped) + "." + parts[2]);
      ASSERT_FALSE(result.ok()) << key->kid() << " byte " << i;
      EXPECT_EQ(result.error().message(), "bad signature");
    }
  }
}

TEST_F(JwtTest, RefusesASwappedHeader) {
  // The header is signed too: another valid header over the same payload breaks the signature.
  auto parts = segmentsOf(sign(ed_, claims()).value());
  std::string header = base64UrlEncode(R"({"alg":"EdDSA","kid":"ed","typ":"at+jwt"})");
  expectInvalid(check(header + "." + parts[1] + "." + parts[2]), "bad signature");
}

// ---- Attacks: the encoding ----

TEST_F(JwtTest, RefusesPaddingInAnySegment) {
  std::string token = sign(ed_, claims()).value();
  auto parts = segmentsOf(token);
  for (std::size_t i = 0; i < 3; ++i) {
    for (const char* pad : {"=", "==", "==="}) {
      auto padded = parts;
      padded[i] += pad;
      // The claims are signed: a padded claims segment breaks the signature before it is
      // decoded.
      expectInvalid(check(padded[0] + "." + padded[1] + "." + padded[2]),
                    i == 1 ? "bad signature" : "malformed");
    }
  }
}

TEST_F(JwtTest, RefusesStandardBase64AndStrayCharacters) {
  auto parts = segmentsOf(sign(ed_, claims()).value());
  for (std::size_t i = 0; i < 3; ++i) {
    for (const char* stray : {"+", "/", " ", "\n", "%", "\\"}) {
      auto altered = parts;
      altered[i].insert(altered[i].size() / 2, stray);
      EXPECT_FALSE(check(altered[0] + "." + altered[1] + "." + altered[2]).ok())
          << "segment " << i << " with " << stray;
    }
  }
}

TEST_F(JwtTest, RefusesAnExtraSegment) {
  std::string token = sign(ed_, claims()).value();
  expectInvalid(check(token + "."), "malformed token");
  expectInvalid(check(token + ".AAAA"), "malformed token");
  expectInvalid(check(token + "." + segmentsOf(token)[2]), "malformed token");
  expectInvalid(check("a.b.c.d.e"), "malformed token");
}

TEST_F(JwtTest, RefusesMissingOrEmptySegments) {
  auto p = segmentsOf(sign(ed_, claims()).value());
  for (const std::string& token :
       {""s, "."s, ".."s, p[0], p[0] + "." + p[1], p[0] + "." + p[1] + ".", "." + p[1] + "." + p[2],
        p[0] + ".." + p[2], ".." + p[2], p[0] + ".."}) {
    expectInvalid(check(token), "malformed");
  }
}

TEST_F(JwtTest, RefusesAHeaderThatIsNotAJsonObject) {
  std::string rest = base64UrlEncode(toJson(claims())) + ".AAAA";
  for (const char* header : {"[]", R"(["EdDSA","ed"])", R"("EdDSA")", "null", "42", "true", "", "{",
                             R"({"alg":"EdDSA","kid":"ed"} {})", "not json"}) {
    expectInvalid(check(base64UrlEncode(header) + "." + rest), "malformed");
  }
}

TEST_F(JwtTest, RefusesClaimsThatAreNotAJsonObject) {
  // Correctly signed, so the claims themselves are what is refused.
  for (const char* claimsText : {"[]", R"("sub")", "null", "1700000300", "{", "Example"}) {
    expectInvalid(check(withClaims(ed_, claimsText)), "malformed claims");
  }
}

TEST_F(JwtTest, RefusesACritHeader) {
  for (const char* header : {R"({"alg":"EdDSA","kid":"ed","crit":["exp"],"exp":1})",
                             R"({"alg":"EdDSA","kid":"ed","crit":[]})",
                             R"({"alg":"EdDSA","kid":"ed","b64":false,"crit":["b64"]})"}) {
    expectInvalid(check(signedToken(header, toJson(claims()), ed_)), "critical");
  }
}

TEST_F(JwtTest, RefusesAnOversizedToken) {
  json::object c = claims();
  c["padding"] = std::string(kMaxTokenBytes, 'p');
  // Correctly signed (bypassing sign(), which refuses to make it).
  expectInvalid(check(withClaims(ed_, c)), "too large");
  expectInvalid(check(std::string(kMaxTokenBytes + 1, 'A')), "too large");
}

// ---- Claims ----

TEST_F(JwtTest, RefusesAnExpiredToken) {
  json::object c = claims();
  c["exp"] = kNow - 3600;
  expectInvalid(check(withClaims(ed_, c)), "token expired");
}

TEST_F(JwtTest, RefusesATokenWithoutExp) {
  json::object c = claims();
  c.erase("exp");
  expectInvalid(check(withClaims(ed_, c)), "missing exp");
}

TEST_F(JwtTest, RefusesANonNumericExp) {
  std::string exp = std::to_string(kNow + 300);
  for (const std::string& value : {'"' + exp + '"', "true"s, "null"s, "[" + exp + "]", "{}"s}) {
    json::object c = claims();
    c.erase("exp");
    std::string text = toJson(c);
    text.back() = ',';
    text += R"("exp":)" + value + "}";
    expectInvalid(check(withClaims(ed_, text)), "exp is not a number");
  }
}

TEST_F(JwtTest, RefusesNonNumericNbfAndIat) {
  for (const char* claim : {"nbf", "iat"}) {
    json::object c = claims();
    c[claim] = std::to_string(kNow);
    expectInvalid(check(withClaims(ed_, c)), std::string(claim) + " is not a number");
  }
}

TEST_F(JwtTest, RefusesNumericDatesOutOfRange) {
  for (double value : {-1.0, 1e300}) {
    json::object c = claims();
    c["exp"] = value;
    expectInvalid(check(withClaims(ed_, c)), "exp is out of range");
  }
}

TEST_F(JwtTest, RefusesNbfInTheFuture) {
  json::object c = claims();
  c["nbf"] = kNow + 600;
  expectInvalid(check(withClaims(ed_, c)), "not yet valid");
}

TEST_F(JwtTest, RefusesIatInTheFuture) {
  json::object c = claims();
  c["iat"] = kNow + 600;
  expectInvalid(check(withClaims(ed_, c)), "issued in the future");
}

TEST_F(JwtTest, ExpLeewayEdges) {
  options_.leeway = std::chrono::seconds(30);
  json::object c = claims();
  c["exp"] = kNow - 29;
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
  c["exp"] = kNow - 30;
  expectInvalid(check(withClaims(ed_, c)), "token expired");
  options_.leeway = std::chrono::seconds(0);
  c["exp"] = kNow + 1;
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
  c["exp"] = kNow;
  expectInvalid(check(withClaims(ed_, c)), "token expired");
}

TEST_F(JwtTest, NbfAndIatLeewayEdges) {
  options_.leeway = std::chrono::seconds(30);
  for (const char* claim : {"nbf", "iat"}) {
    json::object c = claims();
    c[claim] = kNow + 30;
    EXPECT_TRUE(check(withClaims(ed_, c)).ok()) << claim;
    c[claim] = kNow + 31;
    EXPECT_FALSE(check(withClaims(ed_, c)).ok()) << claim;
  }
  options_.leeway = std::chrono::seconds(0);
  for (const char* claim : {"nbf", "iat"}) {
    json::object c = claims();
    c[claim] = kNow;
    EXPECT_TRUE(check(withClaims(ed_, c)).ok()) << claim;
    c[claim] = kNow + 1;
    EXPECT_FALSE(check(withClaims(ed_, c)).ok()) << claim;
  }
}

TEST_F(JwtTest, NbfAndIatAreOptional) {
  json::object c = claims();
  c.erase("nbf");
  c.erase("iat");
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
}

TEST_F(JwtTest, RefusesAWrongOrMissingIssuer) {
  json::object c = claims();
  c["iss"] = "https://evil.test";
  expectInvalid(check(withClaims(ed_, c)), "wrong issuer");
  c["iss"] = json::array{kIssuer};
  expectInvalid(check(withClaims(ed_, c)), "wrong issuer");
  c.erase("iss");
  expectInvalid(check(withClaims(ed_, c)), "wrong issuer");
  options_.issuer.clear();
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
}

TEST_F(JwtTest, RefusesAWrongOrMissingAudience) {
  json::object c = claims();
  c["aud"] = "other-api";
  expectInvalid(check(withClaims(ed_, c)), "wrong audience");
  c["aud"] = json::array{"other-api", "third-api"};
  expectInvalid(check(withClaims(ed_, c)), "wrong audience");
  c["aud"] = json::array{};
  expectInvalid(check(withClaims(ed_, c)), "wrong audience");
  c["aud"] = json::object{{"aud", kAudience}};
  expectInvalid(check(withClaims(ed_, c)), "wrong audience");
  c.erase("aud");
  expectInvalid(check(withClaims(ed_, c)), "wrong audience");
  options_.audience.clear();
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
}

TEST_F(JwtTest, AcceptsAnAudienceArrayContainingTheAudience) {
  json::object c = claims();
  c["aud"] = json::array{"other-api", kAudience};
  EXPECT_TRUE(check(withClaims(ed_, c)).ok());
}

}  // namespace
}  // namespace bakery::core::jwt
