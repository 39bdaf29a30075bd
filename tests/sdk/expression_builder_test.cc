#include <gtest/gtest.h>

#include <bakery/table/expression_builder.h>

namespace bakery::table {
namespace {

TEST(ExpressionBuilderTest, ConditionsRenderWithPlaceholdersAndKeepTheirGrouping) {
  ExpressionWriter w;
  auto c = (attr("status") == S("open") || attr("status") == S("new")) &&
           !Condition::exists(attr("deletedAt"));
  EXPECT_EQ(c.render(w), "((#n0 = :v0) OR (#n0 = :v1)) AND (NOT (attribute_exists(#n1)))");
  EXPECT_EQ(w.names().at("#n0"), "status");
  EXPECT_EQ(w.names().at("#n1"), "deletedAt");
  EXPECT_EQ(w.values().at(":v1"), S("new"));
}

TEST(ExpressionBuilderTest, NestedPathsRenderEachNameOnce) {
  ExpressionWriter w;
  EXPECT_EQ(attr("a").at(2).member("b").render(w), "#n0[2].#n1");
  EXPECT_EQ(attr("a").render(w), "#n0");
}

TEST(ExpressionBuilderTest, UpdatesRenderClausesInOrder) {
  ExpressionWriter w;
  Update u;
  u.remove(attr("old")).set(attr("x"), N("1")).add(attr("n"), N("2")).increment(attr("c"), N("1"));
  EXPECT_EQ(u.render(w), "SET #n0 = :v0, #n1 = #n1 + :v1 REMOVE #n2 ADD #n3 :v2");
}

TEST(ExpressionBuilderTest, KeyConditionsRenderTheSortKeyOperator) {
  ExpressionWriter w;
  KeyCondition k("pk", S("user#1"));
  k.sortBeginsWith("sk", "order#");
  EXPECT_EQ(k.render(w), "#n0 = :v0 AND begins_with(#n1, :v1)");
  ExpressionWriter w2;
  KeyCondition between("pk", S("a"));
  between.sortBetween("sk", N("1"), N("9"));
  EXPECT_EQ(between.render(w2), "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
}

}  // namespace
}  // namespace bakery::table
