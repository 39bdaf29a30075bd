#include "platform/identity/remote_jwks.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/jwt.h"

namespace bakery::identity {
namespace {

using namespace std::chrono_literals;

constexpr char kUrl[] = "https://issuer.example/.well-known/jwks.json";

core::jwt::Key generated(const std::string& kid) {
  auto key = core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, kid);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::string jwksOf(std::initializer_list<core::jwt::Key> keys) {
  json::array published;
  for (const auto& k : keys) published.push_back(k.publicJwk());
  return core::toJson(json::object{{"keys", std::move(published)}});
}

// An issuer's JWKS endpoint: serves `body` (or fails, when `fail` is set) and counts calls.
class RemoteJwksTest : public ::testing::Test {
 protected:
  RemoteJwks jwks(RemoteJwksOptions options = {}) {
    return RemoteJwks(
        kUrl,
        [this](const std::string& url) -> core::Result<std::string> {
          ++fetches_;
          urls_.push_back(url);
          if (fail_) return core::Error("ServiceUnavailable", 503, "connection refused");
          return body_;
        },
        clock_, options);
  }

  core::ManualClock clock_;
  core::jwt::Key first_ = generated("issuer-key-1");
  core::jwt::Key second_ = generated("issuer-key-2");
  std::string body_ = jwksOf({first_});
  bool fail_ = false;
  int fetches_ = 0;
  std::vector<std::string> urls_;
};

TEST_F(RemoteJwksTest, FetchesOnceAndCachesForTheTtl) {
  RemoteJwksOptions options;
  options.ttl = 10min;
  RemoteJwks remote = jwks(options);
  EXPECT_EQ(remote.url(), kUrl);
  EXPECT_EQ(fetches_, 0);  // nothing happens before the keys are needed

  auto keys = remote.keys();
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->find("issuer-key-1"), nullptr);
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(urls_, std::vector<std::string>{kUrl});

  body_ = jwksOf({second_});
  EXPECT_EQ(remote.keys(), keys);
  clock_.advance(10min - 1s);
  EXPECT_EQ(remote.keys(), keys);
  EXPECT_EQ(fetches_, 1);

  clock_.advance(1s);
  auto fresh = remote.keys();
  EXPECT_EQ(fetches_, 2);
  EXPECT_EQ(fresh->find("issuer-key-1"), nullptr);
  EXPECT_NE(fresh->find("issuer-key-2"), nullptr);
}

TEST_F(RemoteJwksTest, RefreshRefetchesButNotWithinTheMinRefreshInterval) {
  RemoteJwksOptions options;
  options.minRefreshInterval = 30s;
  RemoteJwks remote = jwks(options);
  ASSERT_NE(remote.keys()->find("issuer-key-1"), nullptr);
  ASSERT_EQ(fetches_, 1);

  // The issuer rotates; a refresh right after the fetch is refused.
  body_ = jwksOf({first_, second_});
  EXPECT_EQ(remote.refresh()->find("issuer-key-2"), nullptr);
  clock_.advance(29s);
  EXPECT_EQ(remote.refresh()->find("issuer-key-2"), nullptr);
  EXPECT_EQ(fetches_, 1);

  clock_.advance(1s);
  EXPECT_NE(remote.refresh()->find("issuer-key-2"), nullptr);
  EXPECT_EQ(fetches_, 2);
  EXPECT_NE(remote.keys()->find("issuer-key-2"), nullptr);  // the refreshed set is cached
  EXPECT_EQ(remote.refresh()->size(), 2u);
  EXPECT_EQ(fetches_, 2);
}

TEST_F(RemoteJwksTest, FailedFetchKeepsThePreviousSet) {
  RemoteJwksOptions options;
  options.ttl = 10min;
  options.minRefreshInterval = 30s;
  RemoteJwks remote = jwks(options);
  ASSERT_NE(remote.keys()->find("issuer-key-1"), nullptr);

  fail_ = true;
  clock_.advance(10min);
  auto keys = remote.keys();
  EXPECT_EQ(fetches_, 2);
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->find("issuer-key-1"), nullptr);

  // A body that is not a JWKS is a failure too.
  fail_ = false;
  for (const std::string& body : {std::string("<html>502</html>"), std::string("{\"keys\":7}")}) {
    body_ = body;
    clock_.advance(30s);
    EXPECT_NE(remote.refresh()->find("issuer-key-1"), nullptr) << body;
  }
  EXPECT_EQ(fetches_, 4);

  // The stale set is retried, but no more often than the refresh interval allows.
  body_ = jwksOf({second_});
  EXPECT_NE(remote.keys()->find("issuer-key-1"), nullptr);
  EXPECT_EQ(fetches_, 4);
  clock_.advance(30s);
  EXPECT_NE(remote.keys()->find("issuer-key-2"), nullptr);
  EXPECT_EQ(fetches_, 5);
}

TEST_F(RemoteJwksTest, FailedFirstFetchGivesAnEmptySet) {
  fail_ = true;
  RemoteJwks remote = jwks();
  auto keys = remote.keys();
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->size(), 0u);
  ASSERT_NE(remote.refresh(), nullptr);
  EXPECT_EQ(fetches_, 1);
}

TEST_F(RemoteJwksTest, JunkKeysInTheJwksAreSkipped) {
  json::object rsaWithoutModulus{{"kty", "RSA"}, {"kid", "no-n"}, {"e", "AQAB"}};
  json::object encryptionKey = second_.publicJwk();
  encryptionKey["use"] = "enc";
  json::object secret{{"kty", "oct"}, {"kid", "shared"}, {"k", "c2VjcmV0LXNlY3JldC1zZWNyZXQ"}};
  json::object unknownType{{"kty", "EC"}, {"crv", "P-256"}, {"kid", "ec"}, {"x", "AA"}};
  json::object badPoint{{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", "short"}, {"x", "AAAA"}};
  body_ = core::toJson(
      json::object{{"keys", json::array{"not a key", 42, nullptr, rsaWithoutModulus, encryptionKey,
                                        secret, unknownType, badPoint, first_.publicJwk()}}});

  RemoteJwks remote = jwks();
  auto keys = remote.keys();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_NE(keys->find("issuer-key-1"), nullptr);
  EXPECT_EQ(keys->find("shared"), nullptr);
  EXPECT_EQ(keys->find("issuer-key-2"), nullptr);
}

TEST_F(RemoteJwksTest, FetchedKeysVerifyTheIssuersTokens) {
  RemoteJwks remote = jwks();
  auto nowSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  auto token = core::jwt::sign(
      first_, json::object{{"iss", "https://issuer.example"}, {"exp", nowSeconds + 60}});
  ASSERT_TRUE(token.ok());
  auto verified = core::jwt::verify(*token, *remote.keys(),
                                    {clock_.wallNow(), 30s, "https://issuer.example", ""});
  EXPECT_TRUE(verified.ok()) << verified.error().message();
}

}  // namespace
}  // namespace bakery::identity
