// core/crypto (tested here, next to SigV4, its first user): SHA-256 against FIPS 180-2's
// examples and HMAC-SHA-256 against RFC 4231's test cases.
#include "core/crypto.h"

#include <string>

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace bakery::core {
namespace {

TEST(CryptoTest, Sha256MatchesFips180Examples) {
  EXPECT_EQ(hexEncode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hexEncode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc").size(), kSha256Bytes);
}

TEST(CryptoTest, HmacSha256MatchesRfc4231TestCase1) {
  EXPECT_EQ(hexEncode(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacSha256HashesKeysLongerThanTheBlock) {
  // RFC 4231 test case 6: a 131-byte key.
  EXPECT_EQ(hexEncode(hmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoTest, HmacSha256AcceptsAnEmptyKey) {
  EXPECT_EQ(hexEncode(hmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace bakery::core
