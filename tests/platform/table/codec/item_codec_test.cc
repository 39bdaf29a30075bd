#include "platform/table/codec/item_codec.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include <bakery/table/number.h>

#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_size.h"

namespace bakery::table::codec {
namespace {

std::string keyOf(const AttributeValue& v) {
  std::string out;
  appendKey(out, v);
  return out;
}

AttributeValue num(std::string_view text) { return AttributeValue::number(*normalizeNumber(text)); }

TEST(ItemCodecTest, NumberKeysSortNumerically) {
  std::vector<std::string> texts{"-1E+125", "-1000", "-10.5",  "-10",   "-1.23", "-1.2",    "-1",
                                 "-0.001",  "0",     "1E-130", "0.001", "0.01",  "1",       "1.2",
                                 "1.23",    "2",     "10",     "10.5",  "1000",  "9.9E+125"};
  for (std::size_t i = 0; i + 1 < texts.size(); ++i) {
    EXPECT_LT(keyOf(num(texts[i])), keyOf(num(texts[i + 1])))
        << texts[i] << " should sort before " << texts[i + 1];
  }
}

TEST(ItemCodecTest, RandomNumberKeysAgreeWithNumericComparison) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> digits(1, 20), exponent(-40, 40), sign(0, 1), d(0, 9);
  for (int round = 0; round < 2000; ++round) {
    auto make = [&] {
      std::string s = sign(rng) ? "-" : "";
      int n = digits(rng);
      for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + d(rng)));
      return *normalizeNumber(s + "E" + std::to_string(exponent(rng)));
    };
    std::string a = make(), b = make();
    int numeric = compareNumbers(a, b);
    int bytes = keyOf(AttributeValue::number(a)).compare(keyOf(AttributeValue::number(b)));
    EXPECT_EQ(numeric < 0, bytes < 0) << a << " vs " << b;
    EXPECT_EQ(numeric == 0, bytes == 0) << a << " vs " << b;
  }
}

TEST(ItemCodecTest, StringKeysSortBytewiseAndSelfDelimit) {
  EXPECT_LT(keyOf(AttributeValue::string("a")),
            keyOf(AttributeValue::string(std::string("a\0", 2))));
  EXPECT_LT(keyOf(AttributeValue::string(std::string("a\0", 2))),
            keyOf(AttributeValue::string("ab")));
  EXPECT_LT(keyOf(AttributeValue::string("Z")), keyOf(AttributeValue::string("a")));
  EXPECT_LT(keyOf(AttributeValue::string("z")), keyOf(AttributeValue::string("\xc2\xbf")));
  // A composite key (pk then sk) orders by pk first even when one pk prefixes another.
  std::string ab = keyOf(AttributeValue::string("a")) + keyOf(AttributeValue::string("zzz"));
  std::string b = keyOf(AttributeValue::string("ab")) + keyOf(AttributeValue::string("a"));
  EXPECT_LT(ab, b);
}

TEST(ItemCodecTest, ItemsRoundTripWithEveryType) {
  AttributeMap inner{{"x", AttributeValue::boolean(true)}, {"y", AttributeValue::null()}};
  AttributeMap item{
      {"s", AttributeValue::string("héllo")},
      {"n", num("-12.5")},
      {"b", AttributeValue::binary(std::string("\0\1\2", 3))},
      {"m", AttributeValue::map(inner)},
      {"l", AttributeValue::list({num("1"), AttributeValue::string("two")})},
      {"ss", AttributeValue::stringSet({"b", "a"})},
      {"ns", AttributeValue::numberSet({"10", "9"})},
      {"bs", AttributeValue::binarySet({"\x01", "\x00"})},
  };
  auto decoded = decodeItem(encodeItem(item));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, item);
  EXPECT_EQ(decoded->at("ns").elements(), (std::vector<std::string>{"9", "10"}));
}

TEST(ItemCodecTest, TruncatedOrCorruptRecordsAreErrorsNotCrashes) {
  AttributeMap item{{"a", AttributeValue::list({AttributeValue::string("xyz")})},
                    {"b", AttributeValue::stringSet({"p", "q"})}};
  std::string bytes = encodeItem(item);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decodeItem(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(decodeItem(bytes + "x").ok());
  EXPECT_FALSE(decodeItem("\x01\x01"
                          "a\x7f")
                   .ok());
}

TEST(ItemSizeTest, CountsNamesAndValuesInUtf8Bytes) {
  AttributeMap shirt{{"shirt-color", AttributeValue::string("R")},
                     {"shirt-size", AttributeValue::string("M")}};
  EXPECT_EQ(itemSize(shirt), 23u);
  EXPECT_EQ(itemSize({{"é", AttributeValue::string("é")}}), 4u);
}

TEST(ItemSizeTest, NumbersCostAboutOneBytePerTwoDigits) {
  EXPECT_EQ(valueSize(num("0")), 1u);
  EXPECT_EQ(valueSize(num("1")), 2u);
  EXPECT_EQ(valueSize(num("12")), 2u);
  EXPECT_EQ(valueSize(num("0.12")), 2u);
  EXPECT_EQ(valueSize(num("1.2")), 3u);  // two digits starting at an even position: one more
  EXPECT_EQ(valueSize(num("123")), 3u);
  EXPECT_EQ(valueSize(num("-123")), 4u);
}

std::string error(const json::value& v) {
  auto r = attributeFromJson(v);
  return r ? "ok" : r.error().type() + ": " + r.error().message();
}

TEST(AttributeJsonTest, RejectsInvalidValuesWithDynamoDbMessages) {
  EXPECT_EQ(error(json::object{}),
            "ValidationException: Supplied AttributeValue is empty, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(error(json::object{{"S", "a"}, {"N", "1"}}),
            "ValidationException: Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
  EXPECT_EQ(error(json::object{{"NULL", false}}),
            "ValidationException: One or more parameter values were invalid: Null attribute value "
            "types must have the value of true");
  EXPECT_EQ(error(json::object{{"SS", json::array{}}}),
            "ValidationException: One or more parameter values were invalid: An string set  may "
            "not be empty");
  EXPECT_EQ(error(json::object{{"SS", json::array{"a", "a"}}}),
            "ValidationException: One or more parameter values were invalid: Input collection "
            "[a, a] contains duplicates.");
  EXPECT_EQ(error(json::object{{"NS", json::array{"1", "1.0"}}}),
            "ValidationException: Input collection contains duplicates");
  EXPECT_EQ(error(json::object{{"B", "abc"}}),
            "SerializationException: Base64 encoded length is expected a multiple of 4 bytes but "
            "found: 3");
  EXPECT_EQ(error(json::object{{"S", 5}}), "SerializationException: Unexpected field type");
}

TEST(AttributeJsonTest, RoundTripsAndCanonicalizesNumbers) {
  auto v = attributeFromJson(json::object{{"M", json::object{{"n", json::object{{"N", "1.50"}}}}}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(core::toJson(attributeToJson(*v)), R"({"M":{"n":{"N":"1.5"}}})");
}

}  // namespace
}  // namespace bakery::table::codec
