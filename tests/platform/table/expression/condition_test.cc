#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/expression_test_util.h"

namespace bakery::table::expression {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the value builders
using ::testing::ElementsAre;

const std::string kPrefix = "Invalid ConditionExpression: ";

// ---- comparisons ----

TEST(ConditionTest, ComparesStringsByUtf8Bytes) {
  Request req{{}, {{":upper", S("A")}, {":z", S("z")}}};
  EXPECT_TRUE(holds("a > :upper", {{"a", S("a")}}, req));
  EXPECT_TRUE(holds("a > :z", {{"a", S("\xC2\xBF")}}, req));  // "¿" sorts after "z"
  EXPECT_FALSE(holds("a < :upper", {{"a", S("a")}}, req));
}

TEST(ConditionTest, ComparesNumbersNumericallyNotAsText) {
  Request req{{}, {{":nine", N("9")}, {":ten", N("1e1")}}};
  AttributeMap item{{"n", N("10")}};
  EXPECT_TRUE(holds("n > :nine", item, req));
  EXPECT_TRUE(holds("n = :ten", item, req));
  EXPECT_TRUE(holds("n >= :ten AND n <= :ten", item, req));
  EXPECT_FALSE(holds("n < :nine", item, req));
}

TEST(ConditionTest, ComparesBinaryAsUnsignedBytes) {
  Request req{{}, {{":low", B("\x7f")}}};
  EXPECT_TRUE(holds("b > :low", {{"b", B("\x80")}}, req));
}

TEST(ConditionTest, EqualityIsDeepForMapsListsAndSets) {
  AttributeValue doc = M({{"x", L({N("1"), S("two")})}, {"s", SS({"b", "a"})}});
  Request req{{}, {{":doc", doc}, {":other", M({{"x", L({N("1")})}})}}};
  AttributeMap item{{"d", M({{"s", SS({"a", "b"})}, {"x", L({N("1.0"), S("two")})}})}};
  EXPECT_TRUE(holds("d = :doc", item, req));
  EXPECT_FALSE(holds("d = :other", item, req));
  EXPECT_TRUE(holds("d <> :other", item, req));
}

TEST(ConditionTest, ValuesOfDifferentTypesAreNeitherEqualNorOrdered) {
  Request req{{}, {{":s", S("1")}}};
  AttributeMap item{{"n", N("1")}};
  EXPECT_FALSE(holds("n = :s", item, req));
  EXPECT_TRUE(holds("n <> :s", item, req));
  EXPECT_FALSE(holds("n < :s", item, req));
  EXPECT_FALSE(holds("n >= :s", item, req));
}

TEST(ConditionTest, MissingAttributeIsNeverEqualButAlwaysNotEqual) {
  Request req{{}, {{":v", S("x")}}};
  EXPECT_FALSE(holds("absent = :v", {}, req));
  EXPECT_TRUE(holds("absent <> :v", {}, req));
  EXPECT_FALSE(holds("absent < :v", {}, req));
  EXPECT_FALSE(holds("absent > :v", {}, req));
}

TEST(ConditionTest, OrderingOperatorsIgnoreNonScalarTypes) {
  Request req{{}, {{":t", Bool(true)}}};
  EXPECT_FALSE(holds("b >= :t", {{"b", Bool(true)}}, req));
  EXPECT_TRUE(holds("b = :t", {{"b", Bool(true)}}, req));
}

TEST(ConditionTest, NestedPathsAndListIndexesResolve) {
  AttributeMap item{{"a", M({{"b", L({N("0"), M({{"c", S("deep")}})})}})}};
  Request req{{{"#b", "b"}}, {{":v", S("deep")}}};
  EXPECT_TRUE(holds("a.#b[1].c = :v", item, req));
  EXPECT_TRUE(holds("a . #b [ 1 ] . c = :v", item, req));
  EXPECT_FALSE(holds("a.#b[0].c = :v", item, req));  // [0] is a number, not a map
  EXPECT_FALSE(holds("a.#b[7].c = :v", item, req));  // past the end
  EXPECT_FALSE(holds("a[0] = :v", item, req));       // a is a map, not a list
}

TEST(ConditionTest, PlaceholderNamesMayBeReservedWords) {
  Request req{{{"#s", "status"}}, {{":v", S("on")}}};
  EXPECT_TRUE(holds("#s = :v", {{"status", S("on")}}, req));
}

// ---- BETWEEN and IN ----

TEST(ConditionTest, BetweenIsInclusiveOnBothEnds) {
  Request req{{}, {{":lo", N("1")}, {":hi", N("3")}}};
  EXPECT_TRUE(holds("n BETWEEN :lo AND :hi", {{"n", N("1")}}, req));
  EXPECT_TRUE(holds("n BETWEEN :lo AND :hi", {{"n", N("3")}}, req));
  EXPECT_TRUE(holds("n BETWEEN :lo AND :hi", {{"n", N("2.5")}}, req));
  EXPECT_FALSE(holds("n BETWEEN :lo AND :hi", {{"n", N("3.01")}}, req));
  EXPECT_FALSE(holds("n BETWEEN :lo AND :hi", {{"n", S("2")}}, req));
  EXPECT_FALSE(holds("n BETWEEN :lo AND :hi", {}, req));
}

TEST(ConditionTest, InMatchesAnyOfItsOperands) {
  Request req{{}, {{":a", S("a")}, {":b", S("b")}, {":one", N("1")}}};
  EXPECT_TRUE(holds("x IN (:a, :b)", {{"x", S("b")}}, req));
  EXPECT_FALSE(holds("x IN (:a, :one)", {{"x", S("1")}}, req));
  EXPECT_FALSE(holds("x IN (:a)", {}, req));
}

TEST(ConditionTest, InAcceptsAtMostOneHundredOperands) {
  Request req{{}, {{":v", S("v")}}};
  std::string list = ":v";
  for (int i = 1; i < 100; ++i) list += ", :v";
  EXPECT_EQ(conditionError("a IN (" + list + ")", req), "ok");
  EXPECT_EQ(
      conditionError("a IN (" + list + ", :v)", req),
      kPrefix + "The IN operator is provided with too many operands; number of operands: 101");
}

// ---- functions ----

TEST(ConditionTest, AttributeExistsAndNotExistsLookAtWholePaths) {
  AttributeMap item{{"a", M({{"b", Null()}})}};
  EXPECT_TRUE(holds("attribute_exists(a.b)", item));
  EXPECT_FALSE(holds("attribute_exists(a.c)", item));
  EXPECT_TRUE(holds("attribute_not_exists(a.c)", item));
  EXPECT_FALSE(holds("attribute_not_exists(a)", item));
}

TEST(ConditionTest, AttributeTypeComparesTheTypeName) {
  Request req{{}, {{":ss", S("SS")}, {":n", S("N")}, {":null", S("NULL")}}};
  AttributeMap item{{"tags", SS({"x"})}, {"gone", Null()}};
  EXPECT_TRUE(holds("attribute_type(tags, :ss)", item, req));
  EXPECT_FALSE(holds("attribute_type(tags, :n)", item, req));
  EXPECT_TRUE(holds("attribute_type(gone, :null)", item, req));
  EXPECT_FALSE(holds("attribute_type(absent, :n)", item, req));
}

TEST(ConditionTest, BeginsWithWorksOnStringsAndBinary) {
  Request req{{}, {{":p", S("ab")}, {":bp", B("\x01")}}};
  EXPECT_TRUE(holds("begins_with(s, :p)", {{"s", S("abc")}}, req));
  EXPECT_FALSE(holds("begins_with(s, :p)", {{"s", S("xab")}}, req));
  EXPECT_TRUE(holds("begins_with(b, :bp)", {{"b", B("\x01\x02")}}, req));
  EXPECT_FALSE(holds("begins_with(b, :p)", {{"b", B("abc")}}, req));  // types differ
  EXPECT_FALSE(holds("begins_with(s, :p)", {{"s", SS({"abc"})}}, req));
}

TEST(ConditionTest, ContainsFindsSubstringsSetElementsAndListElements) {
  Request req{{}, {{":x", S("x")}, {":two", N("2")}, {":map", M({{"k", S("v")}})}}};
  EXPECT_TRUE(holds("contains(s, :x)", {{"s", S("axb")}}, req));
  EXPECT_FALSE(holds("contains(s, :x)", {{"s", S("abc")}}, req));
  EXPECT_TRUE(holds("contains(ss, :x)", {{"ss", SS({"w", "x"})}}, req));
  EXPECT_FALSE(holds("contains(ss, :x)", {{"ss", SS({"xx"})}}, req));
  EXPECT_TRUE(holds("contains(ns, :two)", {{"ns", NS({"1", "2.0", "10"})}}, req));
  EXPECT_FALSE(holds("contains(ns, :x)", {{"ns", NS({"1"})}}, req));
  EXPECT_TRUE(holds("contains(l, :map)", {{"l", L({S("a"), M({{"k", S("v")}})})}}, req));
  EXPECT_TRUE(holds("contains(l, :two)", {{"l", L({N("2")})}}, req));
  EXPECT_FALSE(holds("contains(n, :two)", {{"n", N("2")}}, req));
  EXPECT_TRUE(
      holds("contains(bs, :b)", {{"bs", BS({"\x01", "\x02"})}}, Request{{}, {{":b", B("\x02")}}}));
}

TEST(ConditionTest, SizeCountsBytesElementsAndMembers) {
  Request req{{}, {{":two", N("2")}, {":three", N("3")}}};
  EXPECT_TRUE(holds("size(s) = :three", {{"s", S("a\xC2\xBF")}}, req));  // UTF-8 bytes
  EXPECT_TRUE(holds("size(b) = :two", {{"b", B(std::string("\x00\x01", 2))}}, req));
  EXPECT_TRUE(holds("size(ss) = :two", {{"ss", SS({"a", "b"})}}, req));
  EXPECT_TRUE(holds("size(l) = :three", {{"l", L({N("1"), N("2"), N("3")})}}, req));
  EXPECT_TRUE(holds("size(m) < :two", {{"m", M({{"k", N("1")}})}}, req));
  EXPECT_FALSE(holds("size(n) >= :two", {{"n", N("100")}}, req));
  EXPECT_TRUE(holds("size(absent) <> :two", {}, req));  // size() of nothing is nothing
  EXPECT_FALSE(holds("size(absent) = :two", {}, req));
  EXPECT_TRUE(holds("size(a) = size(b)", {{"a", S("xy")}, {"b", L({Null(), Null()})}}));
  EXPECT_TRUE(holds("size(a) BETWEEN :two AND :three", {{"a", S("xyz")}}, req));
  EXPECT_TRUE(holds("size(a) IN (:two, :three)", {{"a", S("xy")}}, req));
}

// ---- precedence and grouping ----

TEST(ConditionTest, AndBindsTighterThanOr) {
  Request req{{}, {{":t", Bool(true)}}};
  AttributeMap item{{"a", Bool(true)}, {"b", Bool(false)}, {"c", Bool(false)}};
  EXPECT_TRUE(holds("a = :t OR b = :t AND c = :t", item, req));
  EXPECT_FALSE(holds("(a = :t OR b = :t) AND c = :t", item, req));
}

TEST(ConditionTest, NotBindsTighterThanAnd) {
  Request req{{}, {{":t", Bool(true)}}};
  AttributeMap item{{"a", Bool(false)}, {"b", Bool(false)}};
  EXPECT_FALSE(holds("NOT a = :t AND b = :t", item, req));
  EXPECT_TRUE(holds("NOT (a = :t AND b = :t)", item, req));
  EXPECT_TRUE(holds("NOT NOT NOT a = :t", item, req));
}

TEST(ConditionTest, KeywordsAreCaseInsensitive) {
  Request req{{}, {{":lo", N("1")}, {":hi", N("5")}}};
  AttributeMap item{{"n", N("3")}};
  EXPECT_TRUE(holds("n between :lo aNd :hi and not n in (:lo) or n = :lo", item, req));
}

TEST(ConditionTest, FunctionNamesAreCaseSensitive) {
  EXPECT_EQ(conditionError("ATTRIBUTE_EXISTS(a)"),
            kPrefix + "Invalid function name; function: ATTRIBUTE_EXISTS");
}

TEST(ConditionTest, OperandsMayBeParenthesized) {
  Request req{{}, {{":v", S("x")}, {":p", S("a")}}};
  AttributeMap item{{"a", S("x")}, {"b", S("abc")}};
  EXPECT_TRUE(holds("(a) = :v", item, req));
  EXPECT_TRUE(holds(":v = (a)", item, req));
  EXPECT_TRUE(holds("((a) = :v)", item, req));
  EXPECT_TRUE(holds("(begins_with(b, :p))", item, req));
  EXPECT_TRUE(holds("NOT (begins_with(b, :v))", item, req));
  EXPECT_TRUE(holds("(size(b)) > (size(a))", item, req));
}

TEST(ConditionTest, TopLevelNamesListsTheFirstElementOfEveryPathOnce) {
  Request req{{{"#n", "name"}}, {{":v", S("x")}}};
  Condition c = condition("a.b = :v AND (size(l[0]) > :v OR #n = a.c) AND contains(s, :v)", req);
  EXPECT_THAT(topLevelNames(c), ElementsAre("a", "l", "name", "s"));
}

TEST(ConditionTest, ParsedConditionOwnsItsValues) {
  Condition c = [] {
    Request req{{}, {{":v", S("x")}}};
    return condition("a = :v", req);
  }();
  EXPECT_TRUE(evaluate(c, {{"a", S("x")}}));
}

// ---- messages ----

TEST(ConditionTest, SyntaxErrorQuotesTheTokenAndTheTextAroundIt) {
  EXPECT_EQ(conditionError("a-b"), kPrefix + "Syntax error; token: \"-\", near: \"a-b\"");
  EXPECT_EQ(conditionError("a = :v !", {{}, {{":v", S("x")}}}),
            kPrefix + "Syntax error; token: \"!\", near: \":v !\"");
  EXPECT_EQ(conditionError("a ="), kPrefix + "Syntax error; token: \"<EOF>\", near: \"=\"");
  EXPECT_EQ(conditionError("a = b c"), kPrefix + "Syntax error; token: \"c\", near: \"b c\"");
  EXPECT_EQ(conditionError("and = b"), kPrefix + "Syntax error; token: \"and\", near: \"and =\"");
  EXPECT_EQ(conditionError("a = # AND b"),
            kPrefix + "Syntax error; token: \"#\", near: \"= # AND\"");
}

TEST(ConditionTest, MessagesNameTheKindOfExpression) {
  EXPECT_EQ(conditionError("a-b", {}, "FilterExpression"),
            "Invalid FilterExpression: Syntax error; token: \"-\", near: \"a-b\"");
}

TEST(ConditionTest, EmptyExpressionIsRejected) {
  EXPECT_EQ(conditionError(""), kPrefix + "The expression can not be empty;");
  EXPECT_EQ(conditionError(" \n\t"), kPrefix + "The expression can not be empty;");
}

TEST(ConditionTest, ExpressionsAreLimitedToFourKilobytes) {
  Request req{{}, {{":v", S("x")}}};
  std::string name(4096 - 5, 'a');
  EXPECT_EQ(conditionError(name + " = :v", req), "ok");
  EXPECT_EQ(conditionError(name + "a = :v", req),
            kPrefix +
                "Expression size has exceeded the maximum allowed size; expression size: "
                "4097");
}

TEST(ConditionTest, ReservedWordsCannotBeNames) {
  Request req{{}, {{":v", S("x")}}};
  EXPECT_EQ(conditionError("Status = :v", req),
            kPrefix + "Attribute name is a reserved keyword; reserved keyword: Status");
  EXPECT_EQ(conditionError("a.size = :v", req),
            kPrefix + "Attribute name is a reserved keyword; reserved keyword: size");
  EXPECT_EQ(conditionError("a.sizes = :v", req), "ok");
}

TEST(ConditionTest, UndefinedPlaceholdersAreNamed) {
  EXPECT_EQ(conditionError("a = :v"),
            kPrefix +
                "An expression attribute value used in expression is not defined; attribute "
                "value: :v");
  EXPECT_EQ(conditionError("#a = :v", {{}, {{":v", S("x")}}}),
            kPrefix +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #a");
}

TEST(ConditionTest, FunctionsAreCheckedForNameOperandCountAndTypes) {
  Request req{{}, {{":n", N("1")}, {":s", S("S")}, {":bad", S("X")}, {":b", Bool(true)}}};
  EXPECT_EQ(conditionError("nope(a)", req), kPrefix + "Invalid function name; function: nope");
  EXPECT_EQ(conditionError("begins_with(a)", req),
            kPrefix +
                "Incorrect number of operands for operator or function; operator or function: "
                "begins_with, number of operands: 1");
  EXPECT_EQ(conditionError("begins_with(a, :n)", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator or function: "
                "begins_with, operand type: N");
  EXPECT_EQ(conditionError("attribute_type(a, :n)", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator or function: "
                "attribute_type, operand type: N");
  EXPECT_EQ(conditionError("attribute_type(a, :bad)", req),
            kPrefix +
                "Invalid attribute type name found; type: X, valid types: "
                "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(conditionError("attribute_exists(:s)", req),
            kPrefix +
                "Operator or function requires a document path; operator or function: "
                "attribute_exists");
  EXPECT_EQ(conditionError("size(:b) = :n", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator or function: size, "
                "operand type: BOOL");
}

TEST(ConditionTest, FunctionsOtherThanSizeAreConditionsNotOperands) {
  Request req{{}, {{":v", S("x")}}};
  EXPECT_EQ(conditionError("begins_with(a, :v) = :v", req),
            kPrefix +
                "The function is not allowed to be used this way in an expression; function: "
                "begins_with");
  EXPECT_EQ(conditionError("size(a)", req),
            kPrefix +
                "The function is not allowed to be used this way in an expression; function: "
                "size");
  EXPECT_EQ(conditionError("attribute_exists(a) AND size(b)", req),
            kPrefix +
                "The function is not allowed to be used this way in an expression; function: "
                "size");
}

TEST(ConditionTest, OperandsMustBeDistinct) {
  EXPECT_EQ(conditionError("a.b = a.b"),
            kPrefix +
                "The first operand must be distinct from the remaining operands for this "
                "operator or function; operator: =, first operand: [a, b]");
  EXPECT_EQ(conditionError("contains(l[1], l[1])"),
            kPrefix +
                "The first operand must be distinct from the remaining operands for this "
                "operator or function; operator: contains, first operand: [l, [1]]");
}

TEST(ConditionTest, BetweenBoundsMustShareATypeAndBeOrdered) {
  Request req{{}, {{":one", N("1")}, {":five", N("5")}, {":s", S("a")}}};
  EXPECT_EQ(conditionError("a BETWEEN :five AND :one", req),
            kPrefix +
                "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                "bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: "
                "AttributeValue: {N:1}");
  EXPECT_EQ(conditionError("a BETWEEN :one AND :s", req),
            kPrefix +
                "The BETWEEN operator requires same data type for lower and upper bounds; lower "
                "bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: "
                "{S:a}");
}

TEST(ConditionTest, RedundantParenthesesAreRejected) {
  Request req{{}, {{":v", S("x")}}};
  EXPECT_EQ(conditionError("((a = :v))", req),
            kPrefix + "The expression has redundant parentheses;");
  EXPECT_EQ(conditionError("((a)) = :v", req),
            kPrefix + "The expression has redundant parentheses;");
  EXPECT_EQ(conditionError("((a = :v) AND (a = :v))", req), "ok");
}

TEST(ConditionTest, ErrorsAreReportedInDynamoDbOrderNotTextOrder) {
  Request req{{}, {{":v", S("x")}}};
  // A reserved word outranks an undefined value; an unknown function outranks both.
  EXPECT_EQ(conditionError("a = :nope AND status = :v", req),
            kPrefix + "Attribute name is a reserved keyword; reserved keyword: status");
  EXPECT_EQ(conditionError("status = :nope AND nope(a)", req),
            kPrefix + "Invalid function name; function: nope");
  // Among a leaf's own errors an undefined value comes first.
  EXPECT_EQ(conditionError("begins_with(a, :absent) AND a = a", req),
            kPrefix +
                "An expression attribute value used in expression is not defined; attribute "
                "value: :absent");
}

TEST(ConditionTest, OperatorsAreLimitedToThreeHundred) {
  Request req{{}, {{":v", S("x")}}};
  std::string text = "a = :v";
  for (int i = 0; i < 149; ++i) text += " OR a = :v";  // 299 operators
  EXPECT_EQ(conditionError(text, req), "ok");
  EXPECT_EQ(conditionError(text + " OR a = :v", req),
            kPrefix + "The expression contains too many operators; operator count: 301");
}

TEST(ConditionTest, DeepNestingFailsWithoutExhaustingTheStack) {
  Request req{{}, {{":v", S("x")}}};
  std::string parens(2000, '(');
  EXPECT_EQ(conditionError(parens + "a = :v" + std::string(2000, ')'), req),
            kPrefix + "The expression has redundant parentheses;");
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  EXPECT_EQ(conditionError(nots + "a = :v", req),
            kPrefix + "The expression contains too many operators; operator count: 301");
  std::string sizes;
  for (int i = 0; i < 1000; ++i) sizes += "size(";
  EXPECT_THAT(conditionError(sizes + "a" + std::string(1000, ')') + " = :v", req),
              ::testing::StartsWith(kPrefix));
}

// ---- placeholders across a request ----

TEST(PlaceholdersTest, UnusedNamesAreReportedBeforeUnusedValues) {
  NameMap names{{"#a", "a"}, {"#b", "b"}, {"#c", "c"}};
  AttributeMap values{{":v", S("x")}, {":w", S("y")}};
  Placeholders ph(&names, &values);
  ASSERT_TRUE(parseCondition("#a = :v", "ConditionExpression", ph).ok());
  EXPECT_EQ(messageOf(ph.checkAllUsed()),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}");
  ASSERT_TRUE(parseProjection("#b, #c", ph).ok());
  EXPECT_EQ(messageOf(ph.checkAllUsed()),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}");
  ASSERT_TRUE(parseUpdate("SET x = :w", ph).ok());
  EXPECT_TRUE(ph.checkAllUsed().ok());
}

TEST(PlaceholdersTest, AbsentMapsHaveNothingUnused) {
  Placeholders ph(nullptr, nullptr);
  EXPECT_TRUE(ph.checkAllUsed().ok());
  EXPECT_EQ(ph.useName("#a"), nullptr);
  EXPECT_EQ(ph.useValue(":a"), nullptr);
}

TEST(PlaceholdersTest, RenderPathPrintsDotsAndBrackets) {
  Path p{{"a"}, {"b"}, {"", 2}, {"c"}};
  EXPECT_EQ(renderPath(p), "a.b[2].c");
}

}  // namespace
}  // namespace bakery::table::expression
