#include <string>

#include <gtest/gtest.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/expression_test_util.h"

namespace bakery::table::expression {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the value builders

const std::string kPrefix = "Invalid ProjectionExpression: ";

std::string projectionError(std::string_view text, const Request& req = {}) {
  Placeholders ph = req.placeholders();
  return messageOf(parseProjection(text, ph));
}

AttributeMap projected(std::string_view text, const AttributeMap& item, const Request& req = {}) {
  Placeholders ph = req.placeholders();
  auto p = parseProjection(text, ph);
  EXPECT_TRUE(p.ok()) << text << ": " << messageOf(p);
  return p.ok() ? project(*p, item) : AttributeMap{};
}

const AttributeMap kItem{
    {"id", S("1")},
    {"name", S("n")},
    {"m", M({{"a", N("1")}, {"b", M({{"c", S("deep")}, {"d", S("other")}})}})},
    {"l", L({S("zero"), M({{"x", N("1")}, {"y", N("2")}}), S("two"), S("three")})},
};

TEST(ProjectionTest, KeepsTopLevelAttributesAndSkipsMissingOnes) {
  Request req{{{"#n", "name"}}, {}};
  EXPECT_EQ(projected("id, #n, absent, m.absent, l[9]", kItem, req),
            (AttributeMap{{"id", S("1")}, {"name", S("n")}}));
}

TEST(ProjectionTest, NestedMapPathsKeepOnlyTheNamedMembers) {
  EXPECT_EQ(projected("m.b.c, m.a", kItem),
            (AttributeMap{{"m", M({{"a", N("1")}, {"b", M({{"c", S("deep")}})}})}}));
}

TEST(ProjectionTest, ListsKeepOnlyTheSelectedIndexesInIndexOrder) {
  EXPECT_EQ(projected("l[3], l[0]", kItem), (AttributeMap{{"l", L({S("zero"), S("three")})}}));
}

TEST(ProjectionTest, PathsIntoOneListElementShareIt) {
  EXPECT_EQ(projected("l[1].y, l[2], l[1].x, l[1].absent", kItem),
            (AttributeMap{{"l", L({M({{"x", N("1")}, {"y", N("2")}}), S("two")})}}));
}

TEST(ProjectionTest, ElementsMissingFromTheItemLeaveNoGap) {
  EXPECT_EQ(projected("l[1].absent, l[2]", kItem), (AttributeMap{{"l", L({S("two")})}}));
}

TEST(ProjectionTest, OverlappingPathsAreRejected) {
  EXPECT_EQ(projectionError("a, a.b"),
            kPrefix +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(projectionError("a[1], a[1]"),
            kPrefix +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a, [1]], path two: [a, [1]]");
  EXPECT_EQ(projectionError("a[1], a.b"),
            kPrefix +
                "Two document paths conflict with each other; must remove or rewrite one of "
                "these paths; path one: [a, [1]], path two: [a, b]");
}

TEST(ProjectionTest, SyntaxReservedWordsAndUndefinedNames) {
  EXPECT_EQ(projectionError("!!"), kPrefix + "Syntax error; token: \"!\", near: \"!!\"");
  EXPECT_EQ(projectionError("a b"), kPrefix + "Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(projectionError("a,"), kPrefix + "Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(projectionError("a[x]"), kPrefix + "Syntax error; token: \"x\", near: \"[x]\"");
  EXPECT_EQ(projectionError("data, b"),
            kPrefix + "Attribute name is a reserved keyword; reserved keyword: data");
  EXPECT_EQ(projectionError("#x"),
            kPrefix +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #x");
  EXPECT_EQ(projectionError("  "), kPrefix + "The expression can not be empty;");
}

TEST(ProjectionTest, ParsedPathsAreSorted) {
  Placeholders ph(nullptr, nullptr);
  auto p = parseProjection("b, a[10], a[2], c.x", ph);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->paths.size(), 4u);
  EXPECT_EQ(renderPath(p->paths[0]), "a[2]");
  EXPECT_EQ(renderPath(p->paths[1]), "a[10]");
  EXPECT_EQ(renderPath(p->paths[2]), "b");
  EXPECT_EQ(renderPath(p->paths[3]), "c.x");
}

}  // namespace
}  // namespace bakery::table::expression
