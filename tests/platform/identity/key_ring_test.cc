#include "platform/identity/key_ring.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/jwt.h"
#include "support/temp_dir.h"

namespace bakery::identity {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::chrono::seconds kLifetime = 15min;
constexpr std::chrono::seconds kRotation = 24h;
constexpr std::chrono::seconds kLeeway = 30s;

class KeyRingTest : public ::testing::Test {
 protected:
  std::string keysFile() const { return dir_.path() + "/keys/signing-keys.json"; }

  KeyRingOptions options(core::jwt::Algorithm algorithm = core::jwt::Algorithm::kEdDSA) const {
    KeyRingOptions o;
    o.algorithm = algorithm;
    o.accessTokenLifetime = kLifetime;
    o.rotationPeriod = kRotation;
    o.leeway = kLeeway;
    o.keysFile = keysFile();
    return o;
  }

  std::int64_t nowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
        .count();
  }

  // The claims of an access token issued now by the ring.
  json::object claims() const {
    return json::object{{"iss", "bakery"},     {"aud", "bakery"},
                        {"sub", "user-1"},     {"tenant", "t-1"},
                        {"iat", nowSeconds()}, {"exp", nowSeconds() + kLifetime.count()}};
  }

  core::jwt::VerifyOptions verifyNow() const {
    return core::jwt::VerifyOptions{clock_.wallNow(), kLeeway, "bakery", "bakery"};
  }

  std::string readKeysFile() const {
    std::ifstream in(keysFile());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  void writeKeysFile(const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(keysFile()).parent_path());
    std::ofstream(keysFile()) << text;
  }

  testing::TempDir dir_{"key-ring-test"};
  core::ManualClock clock_;
};

// The `kid` of a token's header.
std::string kidOf(const std::string& token) {
  auto header = core::jwt::base64UrlDecode(token.substr(0, token.find('.')));
  if (!header) return {};
  auto doc = core::parseJson(*header, "header");
  if (!doc || !doc->is_object()) return {};
  return std::string(core::stringMember(doc->as_object(), "kid").value_or(""));
}

std::string signOrFail(KeyRing& ring, const json::object& claims) {
  auto token = ring.sign(claims);
  EXPECT_TRUE(token.ok()) << (token.ok() ? "" : token.error().message());
  return token.ok() ? *token : std::string();
}

// The kids of a JWKS document, in order.
std::vector<std::string> kidsOf(const json::object& jwks) {
  std::vector<std::string> kids;
  for (const auto& k : jwks.at("keys").as_array()) {
    kids.emplace_back(core::stringMember(k.as_object(), "kid").value_or(""));
  }
  return kids;
}

TEST_F(KeyRingTest, OpenCreatesAnOwnerOnlyKeysFileHoldingOneKey) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());

  struct stat st {};
  ASSERT_EQ(::stat(keysFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto doc = core::parseJson(readKeysFile(), "keys file");
  ASSERT_TRUE(doc.ok());
  const auto& keys = doc->as_object().at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  const auto& jwk = keys[0].as_object().at("jwk").as_object();
  EXPECT_TRUE(jwk.contains("d"));  // the private key is what the file is for
  EXPECT_EQ(keys[0].as_object().at("createdAt").as_int64(), nowSeconds());
  EXPECT_EQ(ring.verificationKeys()->size(), 1u);
  EXPECT_EQ(ring.algorithm(), "EdDSA");
}

TEST_F(KeyRingTest, OpenWithoutKeysFileIsAValidationError) {
  KeyRingOptions o = options();
  o.keysFile.clear();
  KeyRing ring(o, clock_);
  auto opened = ring.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().type(), "ValidationException");
}

TEST_F(KeyRingTest, SecondRingOnTheSameFileLoadsTheSameKey) {
  KeyRing first(options(), clock_);
  ASSERT_TRUE(first.open().ok());
  std::string before = readKeysFile();
  KeyRing second(options(), clock_);
  ASSERT_TRUE(second.open().ok());
  EXPECT_EQ(readKeysFile(), before);  // nothing due: the file is not rewritten

  std::string token = signOrFail(first, claims());
  auto verified = core::jwt::verify(token, *second.verificationKeys(), verifyNow());
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(kidOf(signOrFail(second, claims())), kidOf(token));
  EXPECT_EQ(second.verificationKeys()->size(), 1u);
}

TEST_F(KeyRingTest, JwksPublishesPublicKeysOnly) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string token = signOrFail(ring, claims());

  json::object jwks = ring.jwks();
  ASSERT_EQ(jwks.at("keys").as_array().size(), 1u);
  const auto& jwk = jwks.at("keys").as_array()[0].as_object();
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(core::stringMember(jwk, "kty"), "OKP");
  EXPECT_EQ(core::stringMember(jwk, "alg"), "EdDSA");
  EXPECT_EQ(core::stringMember(jwk, "use"), "sig");
  EXPECT_EQ(core::stringMember(jwk, "kid"), kidOf(token));

  // What a relying party would do: verify our token with the published set alone.
  auto published = core::jwt::KeySet::fromJwks(json::value(jwks));
  ASSERT_TRUE(published.ok());
  EXPECT_TRUE(core::jwt::verify(token, *published, verifyNow()).ok());
}

TEST_F(KeyRingTest, Rs256JwksHoldsNoPrivateMembers) {
  KeyRing ring(options(core::jwt::Algorithm::kRS256), clock_);
  ASSERT_TRUE(ring.open().ok());
  json::object jwks = ring.jwks();
  ASSERT_EQ(jwks.at("keys").as_array().size(), 1u);
  const auto& jwk = jwks.at("keys").as_array()[0].as_object();
  EXPECT_EQ(core::stringMember(jwk, "kty"), "RSA");
  EXPECT_TRUE(jwk.contains("n"));
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_FALSE(jwk.contains(member)) << member;
  }
  std::string token = signOrFail(ring, claims());
  EXPECT_TRUE(core::jwt::verify(token, *ring.verificationKeys(), verifyNow()).ok());
}

TEST_F(KeyRingTest, Hs256JwksIsEmptyButVerificationKeysVerify) {
  KeyRing ring(options(core::jwt::Algorithm::kHS256), clock_);
  ASSERT_TRUE(ring.open().ok());
  EXPECT_EQ(ring.algorithm(), "HS256");

  json::object jwks = ring.jwks();
  ASSERT_TRUE(jwks.contains("keys"));
  EXPECT_TRUE(jwks.at("keys").as_array().empty());

  std::string token = signOrFail(ring, claims());
  auto verified = core::jwt::verify(token, *ring.verificationKeys(), verifyNow());
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(core::stringMember(verified->header, "alg"), "HS256");
}

TEST_F(KeyRingTest, SignedTokenVerifiesAgainstVerificationKeys) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string token = signOrFail(ring, claims());

  auto verified = core::jwt::verify(token, *ring.verificationKeys(), verifyNow());
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(core::stringMember(verified->claims, "sub"), "user-1");
  EXPECT_EQ(core::stringMember(verified->header, "alg"), "EdDSA");

  // The ring signs exactly the claims it is given: a later clock makes the token expire.
  clock_.advance(kLifetime + kLeeway);
  auto expired = core::jwt::verify(token, *ring.verificationKeys(), verifyNow());
  ASSERT_FALSE(expired.ok());
  EXPECT_THAT(expired.error().message(), HasSubstr("expired"));
}

TEST_F(KeyRingTest, SignRotatesAfterTheRotationPeriodAndTheOldKeyKeepsVerifying) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string oldToken = signOrFail(ring, claims());
  std::string oldKid = kidOf(oldToken);

  clock_.advance(kRotation - 1s);
  EXPECT_EQ(kidOf(signOrFail(ring, claims())), oldKid);  // not yet due

  // A token signed just before the rotation, checked just after it.
  std::string lastOldToken = signOrFail(ring, claims());
  clock_.advance(1s);
  std::string newToken = signOrFail(ring, claims());
  std::string newKid = kidOf(newToken);
  EXPECT_NE(newKid, oldKid);

  EXPECT_EQ(kidsOf(ring.jwks()), (std::vector<std::string>{oldKid, newKid}));
  auto keys = ring.verificationKeys();
  EXPECT_TRUE(core::jwt::verify(lastOldToken, *keys, verifyNow()).ok());
  EXPECT_TRUE(core::jwt::verify(newToken, *keys, verifyNow()).ok());

  // The rotation is persisted: a ring opened now knows both keys and signs with the new one.
  KeyRing reopened(options(), clock_);
  ASSERT_TRUE(reopened.open().ok());
  EXPECT_EQ(kidsOf(reopened.jwks()), (std::vector<std::string>{oldKid, newKid}));
  EXPECT_EQ(kidOf(signOrFail(reopened, claims())), newKid);
  EXPECT_TRUE(core::jwt::verify(lastOldToken, *reopened.verificationKeys(), verifyNow()).ok());
}

TEST_F(KeyRingTest, ReopeningPastRetirementPlusLifetimePlusLeewayDropsTheOldKey) {
  std::string oldKid;
  std::string newKid;
  {
    KeyRing ring(options(), clock_);
    ASSERT_TRUE(ring.open().ok());
    oldKid = kidOf(signOrFail(ring, claims()));
    clock_.advance(kRotation);
    newKid = kidOf(signOrFail(ring, claims()));  // rotates: the old key is retired now
    ASSERT_NE(newKid, oldKid);
  }
  // At the horizon a token of the old key may still be in its leeway: the key stays.
  clock_.advance(kLifetime + kLeeway);
  {
    KeyRing ring(options(), clock_);
    ASSERT_TRUE(ring.open().ok());
    EXPECT_EQ(kidsOf(ring.jwks()), (std::vector<std::string>{oldKid, newKid}));
  }
  clock_.advance(1s);
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  EXPECT_EQ(kidsOf(ring.jwks()), (std::vector<std::string>{newKid}));
  EXPECT_EQ(ring.verificationKeys()->find(oldKid), nullptr);
  EXPECT_EQ(kidOf(signOrFail(ring, claims())), newKid);

  // The drop is persisted.
  auto doc = core::parseJson(readKeysFile(), "keys file");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->as_object().at("keys").as_array().size(), 1u);
}

TEST_F(KeyRingTest, ChangingTheAlgorithmRotatesAtOpen) {
  std::string edToken;
  {
    KeyRing ring(options(core::jwt::Algorithm::kEdDSA), clock_);
    ASSERT_TRUE(ring.open().ok());
    edToken = signOrFail(ring, claims());
  }
  KeyRing ring(options(core::jwt::Algorithm::kHS256), clock_);
  ASSERT_TRUE(ring.open().ok());
  auto keys = ring.verificationKeys();
  EXPECT_EQ(keys->size(), 2u);

  std::string hsToken = signOrFail(ring, claims());
  EXPECT_NE(kidOf(hsToken), kidOf(edToken));
  auto verified = core::jwt::verify(hsToken, *keys, verifyNow());
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(core::stringMember(verified->header, "alg"), "HS256");
  // The retired EdDSA key still verifies its tokens and is still published.
  EXPECT_TRUE(core::jwt::verify(edToken, *keys, verifyNow()).ok());
  EXPECT_EQ(kidsOf(ring.jwks()), (std::vector<std::string>{kidOf(edToken)}));
}

TEST_F(KeyRingTest, RotateForcesANewSigningKey) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string oldToken = signOrFail(ring, claims());

  ASSERT_TRUE(ring.rotate().ok());
  std::string newToken = signOrFail(ring, claims());
  EXPECT_NE(kidOf(newToken), kidOf(oldToken));
  EXPECT_TRUE(core::jwt::verify(oldToken, *ring.verificationKeys(), verifyNow()).ok());
  EXPECT_TRUE(core::jwt::verify(newToken, *ring.verificationKeys(), verifyNow()).ok());

  KeyRing reopened(options(), clock_);
  ASSERT_TRUE(reopened.open().ok());
  EXPECT_EQ(kidOf(signOrFail(reopened, claims())), kidOf(newToken));
}

TEST_F(KeyRingTest, CorruptKeysFileFailsOpenAndIsNotOverwritten) {
  for (const std::string& text : {std::string("{\"keys\": [ not json"), std::string("[]"),
                                  std::string("{\"keys\": {}}"), std::string("")}) {
    writeKeysFile(text);
    KeyRing ring(options(), clock_);
    auto opened = ring.open();
    ASSERT_FALSE(opened.ok()) << text;
    EXPECT_EQ(opened.error().status(), 503);
    EXPECT_THAT(opened.error().message(), HasSubstr(keysFile()));
    EXPECT_THAT(opened.error().message(), HasSubstr("not a key file"));
    EXPECT_EQ(readKeysFile(), text);
    auto token = ring.sign(claims());
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().status(), 503);
  }
}

TEST_F(KeyRingTest, KeysFileWithAPublicOnlyKeyFailsOpen) {
  auto key = core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, "public-only");
  ASSERT_TRUE(key.ok());
  std::string text = core::toJson(json::object{
      {"keys", json::array{json::object{{"jwk", key->publicJwk()}, {"createdAt", 1}}}}});
  writeKeysFile(text);

  KeyRing ring(options(), clock_);
  auto opened = ring.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.error().message(), HasSubstr("cannot be read"));
  EXPECT_EQ(readKeysFile(), text);
}

// A file whose first key is fine and second is not: the failed open() must not leave the
// ring half-loaded, where sign() would use (and, being due, rotate and persist over) the
// file the operator has to repair.
TEST_F(KeyRingTest, FailedOpenLeavesNoHalfLoadedRing) {
  auto good = core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, "good");
  auto bad = core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, "bad");
  ASSERT_TRUE(good.ok() && bad.ok());
  std::string text = core::toJson(json::object{
      {"keys", json::array{json::object{{"jwk", good->privateJwk()}, {"createdAt", 1}},
                           json::object{{"jwk", bad->publicJwk()}, {"createdAt", 2}}}}});
  writeKeysFile(text);

  KeyRing ring(options(), clock_);
  ASSERT_FALSE(ring.open().ok());
  auto token = ring.sign(claims());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().type(), "ServiceUnavailable");
  EXPECT_EQ(readKeysFile(), text);
}

// A directory where the temporary file goes makes every save fail (even for root).
TEST_F(KeyRingTest, FailedSaveAtRotationNeverSignsWithAnUnpublishedKey) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string oldKid = kidOf(signOrFail(ring, claims()));
  std::string before = readKeysFile();
  std::filesystem::create_directory(keysFile() + ".tmp");

  clock_.advance(kRotation);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = ring.sign(claims());
    if (token.ok()) {
      // Whatever signed it must be a published (and saved) key.
      EXPECT_TRUE(core::jwt::verify(*token, *ring.verificationKeys(), verifyNow()).ok());
      EXPECT_EQ(kidOf(*token), oldKid);
    } else {
      EXPECT_EQ(token.error().status(), 503);
      EXPECT_THAT(token.error().message(), HasSubstr("cannot create"));
    }
  }
  EXPECT_EQ(readKeysFile(), before);

  std::filesystem::remove(keysFile() + ".tmp");
  std::string token = signOrFail(ring, claims());
  EXPECT_NE(kidOf(token), oldKid);
  EXPECT_TRUE(core::jwt::verify(token, *ring.verificationKeys(), verifyNow()).ok());
}

TEST_F(KeyRingTest, FailedSaveInRotateKeepsSigningWithThePublishedKey) {
  KeyRing ring(options(), clock_);
  ASSERT_TRUE(ring.open().ok());
  std::string oldKid = kidOf(signOrFail(ring, claims()));
  std::filesystem::create_directory(keysFile() + ".tmp");

  ASSERT_FALSE(ring.rotate().ok());
  std::string token = signOrFail(ring, claims());
  EXPECT_EQ(kidOf(token), oldKid);
  EXPECT_TRUE(core::jwt::verify(token, *ring.verificationKeys(), verifyNow()).ok());
  EXPECT_EQ(ring.verificationKeys()->size(), 1u);
}

TEST_F(KeyRingTest, FailedSaveAtFirstOpenLeavesTheRingClosed) {
  std::filesystem::create_directories(keysFile() + ".tmp");
  KeyRing ring(options(), clock_);
  auto opened = ring.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().status(), 503);
  auto token = ring.sign(claims());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().status(), 503);
  EXPECT_EQ(ring.verificationKeys()->size(), 0u);
}

TEST_F(KeyRingTest, SignBeforeOpenIsServiceUnavailable) {
  KeyRing ring(options(), clock_);
  auto token = ring.sign(claims());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().type(), "ServiceUnavailable");
  EXPECT_EQ(token.error().status(), 503);
  EXPECT_EQ(ring.verificationKeys()->size(), 0u);
  EXPECT_TRUE(ring.jwks().at("keys").as_array().empty());
  EXPECT_FALSE(std::filesystem::exists(keysFile()));
}

// rotate() before open() would otherwise write a one-key file over the keys on disk,
// invalidating every token they signed.
TEST_F(KeyRingTest, RotateBeforeOpenIsServiceUnavailableAndKeepsTheFile) {
  {
    KeyRing ring(options(), clock_);
    ASSERT_TRUE(ring.open().ok());
  }
  std::string before = readKeysFile();
  KeyRing ring(options(), clock_);
  auto rotated = ring.rotate();
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.error().type(), "ServiceUnavailable");
  EXPECT_EQ(readKeysFile(), before);
}

}  // namespace
}  // namespace bakery::identity
