#include "platform/queue/engine/message_digest.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/encoding.h"
#include "platform/queue/engine/message_validation.h"

namespace bakery::queue {
namespace {

MessageAttributeValue text(std::string type, std::string value) {
  return MessageAttributeValue{std::move(type), std::move(value), {}};
}

TEST(CoreMd5Test, MatchesRfc1321TestSuite) {
  EXPECT_EQ(core::hexEncode(core::md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(core::hexEncode(core::md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(core::hexEncode(core::md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(MessageDigestTest, BodyDigestIsMd5OfItsBytes) {
  EXPECT_EQ(md5OfBody("hello"), "5d41402abc4b2a76b9719d911017c592");
}

// The vectors below come from AWS's SDK samples and from independent implementations of the
// documented encoding; all agree.
TEST(MessageDigestTest, AttributeDigestMatchesAwsSampleWithStrings) {
  MessageAttributes attrs{{"test_attribute_name_2", text("String", "test_attribute_value_2")},
                          {"test_attribute_name_1", text("String", "test_attribute_value_1")}};
  EXPECT_EQ(md5OfMessageAttributes(attrs), "d53f3b558fe951154770f25cb63dbba9");
}

TEST(MessageDigestTest, AttributeDigestMatchesAwsSampleWithBinary) {
  MessageAttributes attrs{{"test_attribute_name", {"Binary", {}, "test_attribute_value"}}};
  EXPECT_EQ(md5OfMessageAttributes(attrs), "23f6bd27ea87aab7dfeadcc9aebee495");
}

TEST(MessageDigestTest, AttributeDigestSortsByNameAndEncodesNumbersAsStrings) {
  MessageAttributes attrs{{"ordinal", text("Number", "1")}, {"category", text("String", "test")}};
  EXPECT_EQ(md5OfMessageAttributes(attrs), "d21ae90c49061e927f57df5f5d72be1f");
  MessageAttributes four{{"City", text("String", "Any City")},
                         {"PostalCode", text("String", "99065")},
                         {"Region", text("String", "WA")},
                         {"SellerName", text("String", "Example Store")}};
  EXPECT_EQ(md5OfMessageAttributes(four), "66d793da93becb551e41562575418975");
}

TEST(MessageDigestTest, AttributeDigestOfNoAttributesIsEmpty) {
  EXPECT_EQ(md5OfMessageAttributes({}), "");
}

TEST(MessageValidationTest, AllowedCharactersFollowSqsRule) {
  EXPECT_TRUE(hasOnlyAllowedCharacters("tab\there\nnewline\rreturn"));
  EXPECT_TRUE(hasOnlyAllowedCharacters("caf\xc3\xa9 \xf0\x9f\x8d\xb0"));  // é, U+1F370
  EXPECT_FALSE(hasOnlyAllowedCharacters(std::string("nul\0", 4)));
  EXPECT_FALSE(hasOnlyAllowedCharacters("bell\x07"));
  EXPECT_FALSE(hasOnlyAllowedCharacters("\xef\xbf\xbf"));  // U+FFFF
  EXPECT_FALSE(hasOnlyAllowedCharacters("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(hasOnlyAllowedCharacters("\xc0\xaf"));      // overlong
  EXPECT_FALSE(hasOnlyAllowedCharacters("\xc3"));          // truncated
}

TEST(MessageValidationTest, AttributeRulesAnswerSqsMessages) {
  auto check = [](MessageAttributes attrs) {
    auto r = checkMessageAttributes(attrs);
    return r ? std::string("ok") : r.error().type() + ": " + r.error().message();
  };
  EXPECT_EQ(check({{"a.b-c_d", text("String.custom", "v")}}), "ok");
  EXPECT_EQ(check({{"AWS.trace", text("String", "v")}}),
            "InvalidParameterValue: Message (user) attribute name AWS.trace is invalid. You can't "
            "use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are "
            "reserved for internal use.");
  EXPECT_EQ(check({{"n", text("Integer", "1")}}),
            "InvalidParameterValue: The type of message (user) attribute 'n' is invalid. You "
            "must use only the following supported type prefixes: Binary, Number, String.");
  EXPECT_EQ(check({{"n", text("Number", "1.5e3")}}), "ok");
  EXPECT_EQ(check({{"n", text("Number", "one")}}),
            "InvalidParameterValue: Can't cast the value of message (user) attribute 'n' to a "
            "number.");
  EXPECT_EQ(check({{"s", text("String", "")}}),
            "InvalidParameterValue: The message attribute 's' must contain non-empty message "
            "attribute value for message attribute type 'String'.");
  MessageAttributes eleven;
  for (int i = 0; i < 11; ++i) eleven.emplace("a" + std::to_string(i), text("String", "v"));
  EXPECT_EQ(check(eleven),
            "InvalidParameterValue: Number of message attributes [11] exceeds the allowed "
            "maximum [10].");
}

}  // namespace
}  // namespace bakery::queue
