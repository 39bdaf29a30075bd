#include <string>

#include <gtest/gtest.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/expression_test_util.h"

namespace bakery::table::expression {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the value builders
using Op = SortKeyCondition::Op;

const KeySchemaView kSchema{"pk", AttributeType::kS, "sk", AttributeType::kN};
const KeySchemaView kHashOnly{"pk", AttributeType::kS, "", AttributeType::kS};

const Request kReq{
    {{"#k", "sk"}},
    {{":p", S("p")}, {":one", N("1")}, {":five", N("5")}, {":s", S("x")}, {":b", Bool(true)}}};

core::Result<KeyCondition> parse(std::string_view text, const KeySchemaView& schema = kSchema,
                                 const Request& req = kReq) {
  Placeholders ph = req.placeholders();
  return parseKeyCondition(text, ph, schema);
}

std::string keyError(std::string_view text, const KeySchemaView& schema = kSchema) {
  return messageOf(parse(text, schema));
}

TEST(KeyConditionTest, PartitionKeyAloneSelectsThePartition) {
  auto k = parse("pk = :p");
  ASSERT_TRUE(k.ok()) << messageOf(k);
  EXPECT_EQ(k->partitionValue, S("p"));
  EXPECT_FALSE(k->sort.has_value());
}

TEST(KeyConditionTest, SortKeyConditionsOfEveryKind) {
  struct Case {
    std::string text;
    Op op;
  };
  for (const Case& c :
       {Case{"pk = :p AND sk = :one", Op::kEq}, Case{"pk = :p AND sk < :one", Op::kLt},
        Case{"pk = :p AND sk <= :one", Op::kLe}, Case{"sk > :one AND pk = :p", Op::kGt},
        Case{"pk = :p AND #k >= :one", Op::kGe},
        Case{"pk = :p AND sk BETWEEN :one AND :five", Op::kBetween},
        Case{"(pk = :p) AND (:one < sk)", Op::kGt}}) {
    auto k = parse(c.text);
    ASSERT_TRUE(k.ok()) << c.text << ": " << messageOf(k);
    ASSERT_TRUE(k->sort.has_value()) << c.text;
    EXPECT_EQ(k->sort->op, c.op) << c.text;
    EXPECT_EQ(k->sort->low, N("1")) << c.text;
  }
  auto between = parse("pk = :p AND sk BETWEEN :one AND :five");
  EXPECT_EQ(between->sort->high, N("5"));
  KeySchemaView stringSort{"pk", AttributeType::kS, "sk", AttributeType::kS};
  auto prefix = parse("pk = :p AND begins_with(sk, :s)", stringSort);
  ASSERT_TRUE(prefix.ok()) << messageOf(prefix);
  EXPECT_EQ(prefix->sort->op, Op::kBeginsWith);
}

TEST(KeyConditionTest, MatchesComparesSortKeysOfTheSameTypeOnly) {
  SortKeyCondition between{Op::kBetween, N("1"), N("5")};
  EXPECT_TRUE(matches(between, N("1")));
  EXPECT_TRUE(matches(between, N("5")));
  EXPECT_FALSE(matches(between, N("5.5")));
  EXPECT_FALSE(matches(between, S("3")));
  EXPECT_TRUE(matches({Op::kLt, N("10"), {}}, N("9")));
  EXPECT_TRUE(matches({Op::kBeginsWith, S("ab"), {}}, S("abc")));
  EXPECT_FALSE(matches({Op::kBeginsWith, S("ab"), {}}, S("a")));
  EXPECT_TRUE(matches({Op::kGe, B("\x80"), {}}, B("\x81")));
}

TEST(KeyConditionTest, OnlyConditionsDynamoDbCanUseOnKeysAreAccepted) {
  EXPECT_EQ(keyError("pk = :p OR sk = :one"),
            "Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(keyError("pk = :p AND NOT sk = :one"),
            "Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(keyError("pk IN (:p)"), "Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(keyError("pk <> :p"), "Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(keyError("pk = :p AND attribute_exists(sk)"),
            "Invalid operator used in KeyConditionExpression: attribute_exists");
  EXPECT_EQ(keyError("pk = :p AND contains(sk, :one)"),
            "Invalid operator used in KeyConditionExpression: contains");
  EXPECT_EQ(keyError("pk = :p AND size(sk) = :one"),
            "KeyConditionExpressions cannot contain nested operations");
  EXPECT_EQ(keyError("pk.a = :p"),
            "KeyConditionExpressions cannot have conditions on nested attributes");
  EXPECT_EQ(keyError("pk = sk"),
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition");
  EXPECT_EQ(keyError(":p = :p"),
            "Invalid condition in KeyConditionExpression: No key attribute specified");
  EXPECT_EQ(keyError("pk = :p AND pk = :p"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(keyError("pk = :p AND :one BETWEEN sk AND :five"),
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
            "attribute as its first operand");
}

TEST(KeyConditionTest, ConditionsMustMatchTheKeySchema) {
  EXPECT_EQ(keyError("sk = :one"), "Query condition missed key schema element: pk");
  EXPECT_EQ(keyError("pk = :p AND extra = :one"), "Query condition missed key schema element: sk");
  EXPECT_EQ(keyError("pk = :p AND sk = :one", kHashOnly), "Query key condition not supported");
  EXPECT_EQ(keyError("pk < :p"), "Query key condition not supported");
  EXPECT_EQ(keyError("pk = :one"),
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
  EXPECT_EQ(keyError("pk = :p AND sk = :s"),
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
  // begins_with on a number fails while parsing, before the schema is consulted.
  EXPECT_EQ(keyError("pk = :p AND begins_with(sk, :one)"),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(keyError("pk = :b"),
            "One or more parameter values were invalid: ComparisonOperator EQ is not valid for "
            "BOOL AttributeValue type");
  EXPECT_EQ(keyError("pk = :p AND sk > :one AND sk2 = :one"),
            "Conditions can be of length 1 or 2 only");
}

TEST(KeyConditionTest, ParseErrorsCarryTheKeyConditionPrefix) {
  EXPECT_EQ(keyError("a-b"),
            "Invalid KeyConditionExpression: Syntax error; token: \"-\", near: \"a-b\"");
  EXPECT_EQ(keyError("pk = :nope"),
            "Invalid KeyConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :nope");
}

}  // namespace
}  // namespace bakery::table::expression
