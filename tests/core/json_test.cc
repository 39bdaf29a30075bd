#include "core/json.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

TEST(JsonTest, IntegerValueReadsSignedAndUnsignedStorage) {
  EXPECT_EQ(integerValue(json::value(std::int64_t{-7})), -7);
  EXPECT_EQ(integerValue(json::value(std::uint64_t{201})), 201);
  EXPECT_EQ(integerValue(json::value(std::numeric_limits<std::uint64_t>::max())), std::nullopt);
  EXPECT_EQ(integerValue(json::value(201.0)), std::nullopt);
  EXPECT_EQ(integerValue(json::value("201")), std::nullopt);
  EXPECT_EQ(integerValue(json::value(nullptr)), std::nullopt);
}

TEST(JsonTest, ToJsonWritesDoublesInShortestFormAndNonFiniteAsNull) {
  EXPECT_EQ(toJson(json::value(0.695)), "0.695");
  EXPECT_EQ(toJson(json::value(12.5)), "12.5");
  EXPECT_EQ(toJson(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(toJson(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
}

TEST(JsonTest, ToJsonEscapesAndRoundTrips) {
  json::value v = {{"a\"b", "line\nbreak\ttab\\ \x01 é"}, {"n", json::array{1, -2, true, nullptr}}};
  std::string text = toJson(v);
  EXPECT_EQ(text, R"({"a\"b":"line\nbreak\ttab\\ \u0001 é","n":[1,-2,true,null]})");
  auto back = parseJson(text, "text");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

}  // namespace
}  // namespace bakery::core
