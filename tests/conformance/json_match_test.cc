#include "conformance/json_match.h"

#include <gtest/gtest.h>

namespace bakery::conformance {
namespace {

json::value parse(std::string_view text) {
  auto v = core::parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? v.value() : json::value(nullptr);
}

bool matches(std::string_view expected, std::string_view actual) {
  return !findMismatch(parse(expected), parse(actual)).has_value();
}

bool listedMatch(std::string_view expected, std::string_view actual) {
  return !findMismatchInListedMembers(parse(expected).get_object(), parse(actual).get_object())
              .has_value();
}

TEST(JsonMatchTest, EqualDocumentsMatch) {
  EXPECT_TRUE(
      matches(R"({"a":{"S":"x"},"b":[1,2,{"N":"3"}]})", R"({"b":[1,2,{"N":"3"}],"a":{"S":"x"}})"));
  EXPECT_TRUE(matches("null", "null"));
  EXPECT_TRUE(matches("true", "true"));
}

TEST(JsonMatchTest, DifferentScalarsDoNotMatch) {
  EXPECT_FALSE(matches(R"({"N":"1"})", R"({"N":"1.0"})"));  // N values compare as strings
  EXPECT_FALSE(matches(R"("a")", R"("b")"));
  EXPECT_FALSE(matches("true", "false"));
  EXPECT_FALSE(matches("1", R"("1")"));
  EXPECT_FALSE(matches("null", "0"));
}

TEST(JsonMatchTest, JsonNumbersCompareByValue) {
  EXPECT_TRUE(matches("1", "1.0"));
  EXPECT_TRUE(matches("0.5", "0.5"));
  EXPECT_FALSE(matches("1", "2"));
  EXPECT_FALSE(matches("1", "1.5"));
}

TEST(JsonMatchTest, NestedObjectsNeedExactlyTheListedMembers) {
  EXPECT_FALSE(matches(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(matches(R"({"a":1,"b":2})", R"({"a":1})"));
  EXPECT_FALSE(matches(R"({"a":{"x":1}})", R"({"a":{"x":1,"y":2}})"));
}

TEST(JsonMatchTest, ListedMembersIgnoreUnlistedTopLevelMembers) {
  EXPECT_TRUE(listedMatch(R"({"Item":{"pk":{"S":"a"}}})",
                          R"({"Item":{"pk":{"S":"a"}},"ConsumedCapacity":{"CapacityUnits":1}})"));
  // ... but not below the top level.
  EXPECT_FALSE(listedMatch(R"({"Item":{"pk":{"S":"a"}}})",
                           R"({"Item":{"pk":{"S":"a"},"extra":{"S":"b"}}})"));
  EXPECT_FALSE(listedMatch(R"({"Item":{"pk":{"S":"a"}}})", R"({})"));
}

TEST(JsonMatchTest, SubsetObjectsIgnoreUnlistedMembers) {
  EXPECT_TRUE(matches(R"({"$subset":true,"TableName":"t"})",
                      R"({"TableName":"t","TableArn":"arn:x","ItemCount":0})"));
  EXPECT_FALSE(matches(R"({"$subset":true,"TableName":"t"})", R"({"TableName":"u"})"));
  EXPECT_FALSE(matches(R"({"$subset":true,"TableName":"t"})", R"({"TableArn":"arn:x"})"));
  EXPECT_FALSE(matches(R"({"$subset":false,"TableName":"t"})", R"({"TableName":"t","x":1})"));
}

TEST(JsonMatchTest, AnyMatchesEveryPresentValue) {
  EXPECT_TRUE(matches(R"({"a":"$any"})", R"({"a":{"deep":[1]}})"));
  EXPECT_TRUE(matches(R"({"a":"$any"})", R"({"a":null})"));
  EXPECT_FALSE(matches(R"({"a":"$any"})", R"({})"));
  EXPECT_FALSE(listedMatch(R"({"LastEvaluatedKey":"$any"})", R"({"Items":[]})"));
}

TEST(JsonMatchTest, AbsentRequiresAMissingMember) {
  EXPECT_TRUE(listedMatch(R"({"Item":"$absent"})", R"({"ConsumedCapacity":{}})"));
  EXPECT_FALSE(listedMatch(R"({"Item":"$absent"})", R"({"Item":{}})"));
  EXPECT_TRUE(matches(R"({"a":1,"b":"$absent"})", R"({"a":1})"));
  EXPECT_FALSE(matches(R"({"a":1,"b":"$absent"})", R"({"a":1,"b":null})"));
}

TEST(JsonMatchTest, SetsCompareUnordered) {
  EXPECT_TRUE(matches(R"({"SS":["a","b","c"]})", R"({"SS":["c","a","b"]})"));
  EXPECT_TRUE(matches(R"({"NS":["1","2"]})", R"({"NS":["2","1"]})"));
  EXPECT_TRUE(matches(R"({"BS":["AQ==","Ag=="]})", R"({"BS":["Ag==","AQ=="]})"));
  EXPECT_FALSE(matches(R"({"SS":["a","b"]})", R"({"SS":["a","b","c"]})"));
  EXPECT_FALSE(matches(R"({"SS":["a","b"]})", R"({"SS":["a","a"]})"));
  EXPECT_FALSE(matches(R"({"NS":["1","2"]})", R"({"NS":["1","2.0"]})"));
}

TEST(JsonMatchTest, ListsAndOtherArraysCompareInOrder) {
  EXPECT_FALSE(matches(R"({"L":[{"S":"a"},{"S":"b"}]})", R"({"L":[{"S":"b"},{"S":"a"}]})"));
  EXPECT_FALSE(matches(R"({"Items":[1,2]})", R"({"Items":[2,1]})"));
}

TEST(JsonMatchTest, UnorderedArraysCompareAsMultisets) {
  EXPECT_TRUE(
      matches(R"({"$unordered":[{"k":1},{"k":2},{"k":2}]})", R"([{"k":2},{"k":1},{"k":2}])"));
  EXPECT_FALSE(
      matches(R"({"$unordered":[{"k":1},{"k":2},{"k":2}]})", R"([{"k":2},{"k":1},{"k":1}])"));
  EXPECT_FALSE(matches(R"({"$unordered":[{"k":1}]})", R"([{"k":1},{"k":2}])"));
  EXPECT_FALSE(matches(R"({"$unordered":[]})", R"({"k":1})"));
  EXPECT_TRUE(matches(R"({"$unordered":[]})", R"([])"));
}

TEST(JsonMatchTest, UnorderedPairingDoesNotLetAPatternTakeANeededElement) {
  // A greedy pairing would give "$any" the element {"k":1} and leave {"k":1} without one.
  EXPECT_TRUE(matches(R"({"$unordered":["$any",{"k":1}]})", R"([{"k":1},{"k":2}])"));
  EXPECT_FALSE(matches(R"({"$unordered":["$any",{"k":1}]})", R"([{"k":3},{"k":2}])"));
}

TEST(JsonMatchTest, MismatchNamesThePath) {
  auto m = findMismatch(parse(R"({"Items":[{"a":{"N":"1"}}]})"),
                        parse(R"({"Items":[{"a":{"N":"2"}}]})"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->path, "$.Items[0].a.N");
  EXPECT_NE(m->reason.find("\"1\""), std::string::npos);
  EXPECT_NE(m->reason.find("\"2\""), std::string::npos);
}

TEST(JsonMatchTest, PrettyJsonIndentsTwoSpaces) {
  EXPECT_EQ(prettyJson(parse(R"({"a":[1,{}],"b":"x"})")),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"x\"\n}");
}

}  // namespace
}  // namespace bakery::conformance
