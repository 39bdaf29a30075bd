#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/expression_test_util.h"

namespace bakery::table::expression {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the value builders
using ::testing::ElementsAre;

const std::string kPrefix = "Invalid UpdateExpression: ";

std::string updateError(std::string_view text, const Request& req = {}) {
  Placeholders ph = req.placeholders();
  return messageOf(parseUpdate(text, ph));
}

UpdatePlan plan(std::string_view text, const Request& req = {}) {
  Placeholders ph = req.placeholders();
  auto parsed = parseUpdate(text, ph);
  EXPECT_TRUE(parsed.ok()) << text << ": " << messageOf(parsed);
  if (!parsed.ok()) return *parseUpdate("REMOVE never_there", ph);
  return std::move(parsed).value();
}

// Applies `text` to `item`; returns the error message, or "ok".
std::string update(std::string_view text, AttributeMap& item, const Request& req = {}) {
  return messageOf(expression::apply(plan(text, req), item));
}

// ---- SET ----

TEST(UpdateExpressionTest, SetWritesTopLevelAndNestedAttributes) {
  Request req{{{"#n", "name"}}, {{":v", S("x")}, {":m", M(AttributeMap{})}}};
  AttributeMap item{{"a", M({{"keep", N("1")}})}};
  ASSERT_EQ(update("SET #n = :v, a.b = :v, c = :m", item, req), "ok");
  EXPECT_EQ(item["name"], S("x"));
  EXPECT_EQ(item["a"], M({{"keep", N("1")}, {"b", S("x")}}));
  EXPECT_EQ(item["c"], M(AttributeMap{}));
}

TEST(UpdateExpressionTest, SetCopiesFromAnotherAttribute) {
  AttributeMap item{{"a", L({N("1")})}};
  ASSERT_EQ(update("SET b = a", item), "ok");
  EXPECT_EQ(item["b"], L({N("1")}));
}

TEST(UpdateExpressionTest, SetAddsAndSubtractsNumbersExactly) {
  Request req{{}, {{":one", N("1")}, {":tiny", N("0.0000001")}}};
  AttributeMap item{{"n", N("10")}, {"big", N("1e30")}};
  ASSERT_EQ(update("SET n = n + :one, m = n - :one, big = big + :tiny", item, req), "ok");
  EXPECT_EQ(item["n"], N("11"));
  EXPECT_EQ(item["m"], N("9"));  // operands read the item as it was
  EXPECT_EQ(item["big"], N("1000000000000000000000000000000.0000001"));
}

TEST(UpdateExpressionTest, ArithmeticBeyondThirtyEightDigitsFails) {
  Request req{{}, {{":one", N("1")}}};
  AttributeMap item{{"n", N("1e37")}, {"m", N("0.1")}};
  AttributeMap before = item;
  EXPECT_EQ(update("SET n = n + :one, x = :one", item, req), "ok");
  AttributeMap item2 = before;
  EXPECT_THAT(update("SET x = :one, n = m + n", item2, req),
              ::testing::HasSubstr("significant digits"));
  EXPECT_EQ(item2, before);
}

TEST(UpdateExpressionTest, ArithmeticOnAMissingAttributeFails) {
  Request req{{}, {{":one", N("1")}}};
  AttributeMap item;
  EXPECT_EQ(update("SET n = n + :one", item, req),
            "The provided expression refers to an attribute that does not exist in the item");
  EXPECT_EQ(update("SET n = absent", item, req),
            "The provided expression refers to an attribute that does not exist in the item");
}

TEST(UpdateExpressionTest, ArithmeticOnANonNumberFails) {
  Request req{{}, {{":one", N("1")}}};
  AttributeMap item{{"s", S("x")}};
  EXPECT_EQ(update("SET n = s + :one", item, req),
            "An operand in the update expression has an incorrect data type");
}

TEST(UpdateExpressionTest, IfNotExistsKeepsAnExistingValue) {
  Request req{{}, {{":zero", N("0")}, {":one", N("1")}}};
  AttributeMap item{{"a", N("5")}};
  ASSERT_EQ(update("SET a = if_not_exists(a, :zero) + :one, b = if_not_exists(b, :zero) + :one",
                   item, req),
            "ok");
  EXPECT_EQ(item["a"], N("6"));
  EXPECT_EQ(item["b"], N("1"));
}

TEST(UpdateExpressionTest, ListAppendConcatenatesInArgumentOrder) {
  Request req{{}, {{":tail", L({S("z")})}, {":head", L({S("a")})}, {":empty", L(AttributeList{})}}};
  AttributeMap item{{"l", L({S("m")})}};
  ASSERT_EQ(update("SET l = list_append(:head, list_append(l, :tail)), "
                   "n = list_append(if_not_exists(n, :empty), :tail)",
                   item, req),
            "ok");
  EXPECT_EQ(item["l"], L({S("a"), S("m"), S("z")}));
  EXPECT_EQ(item["n"], L({S("z")}));
}

TEST(UpdateExpressionTest, ListAppendOnANonListFails) {
  Request req{{}, {{":tail", L({S("z")})}}};
  AttributeMap item{{"s", S("x")}};
  EXPECT_EQ(update("SET s = list_append(s, :tail)", item, req),
            "An operand in the update expression has an incorrect data type");
}

TEST(UpdateExpressionTest, SetListElementReplacesInPlaceAndAppendsPastTheEnd) {
  Request req{{}, {{":x", S("x")}, {":y", S("y")}}};
  AttributeMap item{{"l", L({S("a"), S("b")})}};
  ASSERT_EQ(update("SET l[9] = :y, l[0] = :x, l[5] = :x", item, req), "ok");
  EXPECT_EQ(item["l"], L({S("x"), S("b"), S("x"), S("y")}));
}

TEST(UpdateExpressionTest, SetIntoAMissingParentIsAnInvalidDocumentPath) {
  Request req{{}, {{":x", S("x")}}};
  const std::string invalid =
      "The document path provided in the update expression is invalid for update";
  AttributeMap item{{"m", M(AttributeMap{})}, {"s", S("x")}, {"l", L(AttributeList{})}};
  AttributeMap before = item;
  EXPECT_EQ(update("SET a.b = :x", item, req), invalid);
  EXPECT_EQ(update("SET m.a.b = :x", item, req), invalid);
  EXPECT_EQ(update("SET s.b = :x", item, req), invalid);
  EXPECT_EQ(update("SET m[0] = :x", item, req), invalid);
  EXPECT_EQ(update("SET l.x = :x", item, req), invalid);
  EXPECT_EQ(update("SET ok = :x, l[0].x = :x", item, req), invalid);
  EXPECT_EQ(item, before);
}

// ---- REMOVE ----

TEST(UpdateExpressionTest, RemoveDeletesAttributesAndIgnoresMissingOnes) {
  AttributeMap item{{"a", N("1")}, {"m", M({{"x", N("1")}, {"y", N("2")}})}};
  ASSERT_EQ(update("REMOVE a, m.x, nothing, m.nothing", item), "ok");
  EXPECT_EQ(item, (AttributeMap{{"m", M({{"y", N("2")}})}}));
}

TEST(UpdateExpressionTest, RemoveListElementsShiftsTheRestDown) {
  AttributeMap item{{"l", L({S("a"), S("b"), S("c"), S("d"), S("e")})}};
  ASSERT_EQ(update("REMOVE l[1], l[3], l[99]", item), "ok");
  EXPECT_EQ(item["l"], L({S("a"), S("c"), S("e")}));
}

TEST(UpdateExpressionTest, ListIndexesReferToOriginalPositions) {
  Request req{{}, {{":x", S("x")}, {":y", S("y")}}};
  AttributeMap item{{"l", L({S("a"), S("b"), S("c")})}};
  ASSERT_EQ(update("REMOVE l[0] SET l[1] = :x, l[7] = :y", item, req), "ok");
  EXPECT_EQ(item["l"], L({S("x"), S("c"), S("y")}));
}

TEST(UpdateExpressionTest, RemovesInsideListElementsHappenBeforeTheListShifts) {
  AttributeMap item{{"l", L({S("gone"), M({{"nested", L({N("1"), N("2")})}})})}};
  ASSERT_EQ(update("REMOVE l[0], l[1].nested[0]", item), "ok");
  EXPECT_EQ(item["l"], L({M({{"nested", L({N("2")})}})}));
}

// ---- ADD ----

TEST(UpdateExpressionTest, AddIncrementsANumberAndCreatesAMissingOne) {
  Request req{{}, {{":two", N("2")}}};
  AttributeMap item{{"n", N("-1.5")}};
  ASSERT_EQ(update("ADD n :two, fresh :two", item, req), "ok");
  EXPECT_EQ(item["n"], N("0.5"));
  EXPECT_EQ(item["fresh"], N("2"));
}

TEST(UpdateExpressionTest, AddUnitesSets) {
  Request req{{}, {{":s", SS({"b", "c"})}, {":n", NS({"10", "2"})}}};
  AttributeMap item{{"ss", SS({"a", "b"})}, {"ns", NS({"1"})}};
  ASSERT_EQ(update("ADD ss :s, ns :n, fresh :s", item, req), "ok");
  EXPECT_EQ(item["ss"], SS({"a", "b", "c"}));
  EXPECT_EQ(item["ns"], NS({"1", "2", "10"}));
  EXPECT_EQ(item["fresh"], SS({"b", "c"}));
}

TEST(UpdateExpressionTest, AddToAnAttributeOfAnotherTypeFails) {
  Request req{{}, {{":s", SS({"x"})}, {":one", N("1")}}};
  AttributeMap item{{"ns", NS({"1"})}, {"s", S("x")}};
  EXPECT_EQ(update("ADD ns :s", item, req),
            "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(update("ADD s :one", item, req),
            "An operand in the update expression has an incorrect data type");
}

// ---- DELETE ----

TEST(UpdateExpressionTest, DeleteRemovesSetElements) {
  Request req{{}, {{":gone", SS({"a", "zz"})}, {":ns", NS({"2.0"})}}};
  AttributeMap item{{"ss", SS({"a", "b"})}, {"ns", NS({"1", "2"})}};
  ASSERT_EQ(update("DELETE ss :gone, ns :ns, absent :gone", item, req), "ok");
  EXPECT_EQ(item["ss"], SS({"b"}));
  EXPECT_EQ(item["ns"], NS({"1"}));
  EXPECT_EQ(item.count("absent"), 0u);
}

TEST(UpdateExpressionTest, DeleteOfEveryElementRemovesTheAttribute) {
  Request req{{}, {{":all", SS({"a", "b"})}}};
  AttributeMap item{{"ss", SS({"a", "b"})}, {"l", L({SS({"a"}), N("1")})}};
  ASSERT_EQ(update("DELETE ss :all, l[0] :all", item, req), "ok");
  EXPECT_EQ(item.count("ss"), 0u);
  EXPECT_EQ(item["l"], L({N("1")}));
}

TEST(UpdateExpressionTest, DeleteFromAnAttributeOfAnotherTypeFails) {
  Request req{{}, {{":s", SS({"x"})}}};
  AttributeMap item{{"ns", NS({"1"})}};
  EXPECT_EQ(update("DELETE ns :s", item, req),
            "An operand in the update expression has an incorrect data type");
}

// ---- the plan as a whole ----

TEST(UpdateExpressionTest, FailedUpdateLeavesTheItemUnchanged) {
  Request req{{}, {{":x", S("x")}, {":s", SS({"x"})}}};
  AttributeMap item{{"a", S("old")}, {"l", L({S("a"), S("b")})}, {"n", N("1")}};
  AttributeMap before = item;
  EXPECT_EQ(update("SET a = :x REMOVE l[0] ADD n :s", item, req),
            "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(item, before);
}

TEST(UpdateExpressionTest, ClausesMayComeInAnyOrderAndKeywordsInAnyCase) {
  Request req{{}, {{":x", S("x")}, {":one", N("1")}, {":s", SS({"a"})}}};
  AttributeMap item{{"r", N("0")}, {"d", SS({"a", "b"})}};
  ASSERT_EQ(update("delete d :s add n :one Remove r sEt a = :x", item, req), "ok");
  EXPECT_EQ(item, (AttributeMap{{"a", S("x")}, {"d", SS({"b"})}, {"n", N("1")}}));
}

TEST(UpdateExpressionTest, TargetsListEveryWrittenPathInOrder) {
  Request req{{}, {{":x", S("x")}, {":one", N("1")}}};
  UpdatePlan p = plan("SET a.b = :x, c = d ADD n :one REMOVE l[2]", req);
  std::vector<std::string> rendered;
  for (const Path& path : targets(p)) rendered.push_back(renderPath(path));
  EXPECT_THAT(rendered, ElementsAre("a.b", "c", "n", "l[2]"));
}

// ---- parse-time messages ----

TEST(UpdateExpressionTest, SyntaxErrorsQuoteTheTokenAndItsNeighbours) {
  Request req{{}, {{":incr", N("1")}, {":v", N("1")}}};
  EXPECT_EQ(updateError("INVALID SYNTAX HERE"),
            kPrefix + "Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  EXPECT_EQ(updateError("ADD hits : incr", req),
            kPrefix + "Syntax error; token: \":\", near: \"hits : incr\"");
  EXPECT_EQ(updateError("SET numx = numx / :v", req),
            kPrefix + "Syntax error; token: \"/\", near: \"numx / :v\"");
  EXPECT_EQ(updateError("SET a = :v +", req),
            kPrefix + "Syntax error; token: \"<EOF>\", near: \"+\"");
  EXPECT_EQ(updateError("SET"), kPrefix + "Syntax error; token: \"<EOF>\", near: \"SET\"");
  EXPECT_EQ(updateError("SET a = :v,", req),
            kPrefix + "Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(updateError("ADD a b", req), kPrefix + "Syntax error; token: \"b\", near: \"a b\"");
}

TEST(UpdateExpressionTest, EachClauseMayAppearOnce) {
  Request req{{}, {{":v", N("1")}}};
  EXPECT_EQ(updateError("SET a = :v SET b = :v", req),
            kPrefix + "The \"SET\" section can only be used once in an update expression;");
  EXPECT_EQ(updateError("REMOVE a REMOVE b"),
            kPrefix + "The \"REMOVE\" section can only be used once in an update expression;");
}

TEST(UpdateExpressionTest, ReservedWordsUndefinedPlaceholdersAndUnknownFunctionsAreNamed) {
  Request req{{}, {{":v", N("1")}}};
  EXPECT_EQ(updateError("SET status = :v", req),
            kPrefix + "Attribute name is a reserved keyword; reserved keyword: status");
  EXPECT_EQ(updateError("SET a = :w", req),
            kPrefix +
                "An expression attribute value used in expression is not defined; attribute "
                "value: :w");
  EXPECT_EQ(updateError("SET #a = :v", req),
            kPrefix +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #a");
  EXPECT_EQ(updateError("SET a = size(b)", req), kPrefix + "Invalid function name; function: size");
}

TEST(UpdateExpressionTest, OverlappingAndConflictingPathsAreRejected) {
  Request req{{}, {{":v", N("1")}}};
  EXPECT_EQ(updateError("SET a = :v REMOVE a.b", req),
            kPrefix +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(updateError("SET a[1] = :v REMOVE a.b", req),
            kPrefix +
                "Two document paths conflict with each other; must remove or rewrite one of "
                "these paths; path one: [a, [1]], path two: [a, b]");
  EXPECT_EQ(updateError("SET a[1] = :v REMOVE a[2], b", req), "ok");
}

TEST(UpdateExpressionTest, OperandTypesKnownAtParseTimeAreChecked) {
  Request req{{}, {{":s", S("x")}, {":n", N("1")}, {":l", L(AttributeList{})}, {":ss", SS({"a"})}}};
  EXPECT_EQ(updateError("SET a = :s + :n", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator or function: +, "
                "operand type: S");
  EXPECT_EQ(updateError("SET a = list_append(:l, :n)", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator or function: "
                "list_append, operand type: N");
  EXPECT_EQ(updateError("SET a = if_not_exists(:n, a)", req),
            kPrefix +
                "Operator or function requires a document path; operator or function: "
                "if_not_exists");
  EXPECT_EQ(updateError("SET a = list_append(:l)", req),
            kPrefix +
                "Incorrect number of operands for operator or function; operator or function: "
                "list_append, number of operands: 1");
  EXPECT_EQ(updateError("ADD a :s", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator: ADD, operand type: "
                "STRING");
  EXPECT_EQ(updateError("DELETE a :n", req),
            kPrefix +
                "Incorrect operand type for operator or function; operator: DELETE, operand "
                "type: NUMBER");
  EXPECT_EQ(updateError("ADD a :ss DELETE b :ss", req), "ok");
}

TEST(UpdateExpressionTest, LimitsOnSizeAndOperators) {
  Request req{{}, {{":v", N("1")}}};
  EXPECT_EQ(updateError(""), kPrefix + "The expression can not be empty;");
  std::string text = "SET a = :v";
  for (int i = 0; i < 300; ++i) text += " + :v";
  EXPECT_THAT(updateError(text, req), ::testing::StartsWith(kPrefix + "Syntax error"));
  std::string sets = "SET a0=:v+:v";
  for (int i = 1; i < 301; ++i) sets += ",a" + std::to_string(i) + "=:v+:v";
  EXPECT_EQ(updateError(sets, req),
            kPrefix + "The expression contains too many operators; operator count: 301");
  EXPECT_EQ(
      updateError("SET a = :v" + std::string(4096, ' '), req),
      kPrefix + "Expression size has exceeded the maximum allowed size; expression size: 4106");
}

}  // namespace
}  // namespace bakery::table::expression
