#include "core/encoding.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

using namespace std::string_literals;

// RFC 4648 section 10.
const std::vector<std::pair<std::string, std::string>> kRfc4648Vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64Test, EncodesTheRfc4648TestVectors) {
  for (const auto& [plain, encoded] : kRfc4648Vectors) {
    EXPECT_EQ(base64Encode(plain), encoded) << plain;
  }
}

TEST(Base64Test, DecodesTheRfc4648TestVectors) {
  for (const auto& [plain, encoded] : kRfc4648Vectors) {
    auto decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

TEST(Base64Test, UsesTheStandardAlphabetForTheLastTwoDigits) {
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64Decode("+/8="), "\xfb\xff"s);
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    std::string part = bytes.substr(bytes.size() - len);
    auto back = base64Decode(base64Encode(part));
    ASSERT_TRUE(back.has_value()) << len;
    EXPECT_EQ(*back, part) << len;
  }
  EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes);
}

TEST(Base64Test, EncodesEmbeddedNulBytes) {
  EXPECT_EQ(base64Encode("\0\0\0"s), "AAAA");
  EXPECT_EQ(base64Decode("AAAA"), "\0\0\0"s);
}

TEST(Base64Test, RejectsALengthThatIsNotAMultipleOfFour) {
  EXPECT_EQ(base64Decode("Zg"), std::nullopt);   // unpadded
  EXPECT_EQ(base64Decode("Zg="), std::nullopt);  // short padding
  EXPECT_EQ(base64Decode("Zm9vY"), std::nullopt);
}

TEST(Base64Test, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64Decode("Zm9v!A=="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9\x80"), std::nullopt);
  EXPECT_EQ(base64Decode("-_8="), std::nullopt);  // base64url is another encoding
  EXPECT_EQ(base64Decode("Zm9v\nYg=="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm 9"), std::nullopt);
}

TEST(Base64Test, RejectsPaddingAnywhereButTheEnd) {
  EXPECT_EQ(base64Decode("Zg==Zm8="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm8=Zm9v"), std::nullopt);
}

TEST(Base64Test, RejectsPaddingInTheFirstTwoPositionsOfAQuantum) {
  EXPECT_EQ(base64Decode("===="), std::nullopt);
  EXPECT_EQ(base64Decode("Z==="), std::nullopt);
}

TEST(Base64Test, RejectsDataAfterPadding) { EXPECT_EQ(base64Decode("Zg=v"), std::nullopt); }

TEST(Base64Test, RejectsNonCanonicalTrailingBits) {
  // "Zh==" and "Zm9=" carry bits below the last whole byte; canonical encodings zero them.
  EXPECT_EQ(base64Decode("Zh=="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9vYh=="), std::nullopt);
}

TEST(HexTest, EncodesLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(hexEncode(""), "");
  EXPECT_EQ(hexEncode("\x00\x0f\x10\xab\xff"s), "000f10abff");
}

TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, HashesEmbeddedNulBytes) {
  EXPECT_NE(sha256Hex("a\0b"s), sha256Hex("a"));
  EXPECT_EQ(sha256Hex("a\0b"s).size(), 64u);
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("nul\0inside"s));
  EXPECT_TRUE(isValidUtf8("\xc2\x80"));          // U+0080, smallest two-byte
  EXPECT_TRUE(isValidUtf8("caf\xc3\xa9"));       // U+00E9
  EXPECT_TRUE(isValidUtf8("\xdf\xbf"));          // U+07FF
  EXPECT_TRUE(isValidUtf8("\xe0\xa0\x80"));      // U+0800, smallest three-byte
  EXPECT_TRUE(isValidUtf8("\xe2\x82\xac"));      // U+20AC euro sign
  EXPECT_TRUE(isValidUtf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(isValidUtf8("\xee\x80\x80"));      // U+E000, just above them
  EXPECT_TRUE(isValidUtf8("\xef\xbf\xbf"));      // U+FFFF
  EXPECT_TRUE(isValidUtf8("\xf0\x90\x80\x80"));  // U+10000, smallest four-byte
  EXPECT_TRUE(isValidUtf8("\xf0\x9d\x84\x9e"));  // U+1D11E musical G clef
  EXPECT_TRUE(isValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST(Utf8Test, RejectsOverlongEncodings) {
  EXPECT_FALSE(isValidUtf8("\xc0\x80"));          // U+0000 in two bytes
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));          // '/' in two bytes
  EXPECT_FALSE(isValidUtf8("\xc1\xbf"));          // U+007F in two bytes
  EXPECT_FALSE(isValidUtf8("\xe0\x80\x80"));      // U+0000 in three bytes
  EXPECT_FALSE(isValidUtf8("\xe0\x9f\xbf"));      // U+07FF in three bytes
  EXPECT_FALSE(isValidUtf8("\xf0\x80\x80\x80"));  // U+0000 in four bytes
  EXPECT_FALSE(isValidUtf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in four bytes
}

TEST(Utf8Test, RejectsSurrogates) {
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));              // U+D800
  EXPECT_FALSE(isValidUtf8("\xed\xaf\xbf"));              // U+DBFF
  EXPECT_FALSE(isValidUtf8("\xed\xb0\x80"));              // U+DC00
  EXPECT_FALSE(isValidUtf8("\xed\xbf\xbf"));              // U+DFFF
  EXPECT_FALSE(isValidUtf8("\xed\xa0\xbd\xed\xb2\xa9"));  // CESU-8 pair for U+1F4A9
}

TEST(Utf8Test, RejectsCodePointsBeyondU10FFFF) {
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(isValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("\xf7\xbf\xbf\xbf"));          // U+1FFFFF
  EXPECT_FALSE(isValidUtf8("\xf8\x88\x80\x80\x80"));      // five-byte form
  EXPECT_FALSE(isValidUtf8("\xfc\x84\x80\x80\x80\x80"));  // six-byte form
  EXPECT_FALSE(isValidUtf8("\xfe"));
  EXPECT_FALSE(isValidUtf8("\xff"));
}

TEST(Utf8Test, RejectsTruncatedSequences) {
  EXPECT_FALSE(isValidUtf8("\xc3"));
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));
  EXPECT_FALSE(isValidUtf8("\xf0\x9d\x84"));
  EXPECT_FALSE(isValidUtf8("abc\xe2\x82"));
  EXPECT_FALSE(isValidUtf8("\xe2\x82 euro"));  // cut short by the next character
}

TEST(Utf8Test, RejectsStrayOrMissingContinuationBytes) {
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(
      isValidUtf8("a\xbf"
                  "b"));
  EXPECT_FALSE(isValidUtf8("\xc3\x28"));
  EXPECT_FALSE(isValidUtf8("\xe2\x28\xa1"));
  EXPECT_FALSE(isValidUtf8("\xf0\x9d\x28\x9e"));
  EXPECT_FALSE(isValidUtf8("\xc3\xa9\xa9"));  // one continuation too many
}

TEST(ConstantTimeEqualsTest, ComparesContent) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(constantTimeEquals("a\0b"s, "a\0c"s));
}

}  // namespace
}  // namespace bakery::core
