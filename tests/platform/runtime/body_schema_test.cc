#include "platform/runtime/body_schema.h"

#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bakery::runtime {
namespace {

using ::testing::HasSubstr;

json::value parse(std::string_view text) {
  auto v = core::parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

// An order: an owner with an email, and items each with a string sku and a positive qty.
constexpr std::string_view kOrderSchema = R"({
  "type": "object",
  "required": ["owner", "items"],
  "properties": {
    "owner": {
      "type": "object",
      "required": ["email"],
      "properties": {"email": {"type": "string", "minLength": 3}}
    },
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["sku"],
        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
      }
    },
    "note": {"type": "string", "maxLength": 5}
  }
})";

BodySchema orderSchema() {
  auto compiled = BodySchema::compile(parse(kOrderSchema));
  EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.error().message());
  return std::move(compiled).value();
}

// The error validate() reports; fails the test when the body is accepted.
core::Error rejection(const BodySchema& schema, std::string_view body) {
  auto result = schema.validate(parse(body));
  EXPECT_FALSE(result.ok()) << body;
  return result.ok() ? core::Error("", 0, "") : result.error();
}

TEST(BodySchemaTest, AcceptsAConformingBody) {
  BodySchema schema = orderSchema();
  EXPECT_TRUE(
      schema.validate(parse(R"({"owner": {"email": "a@b.c"}, "items": [{"sku": "x", "qty": 2}]})"))
          .ok());
  EXPECT_TRUE(schema.validate(parse(R"({"owner": {"email": "a@b.c"}, "items": []})")).ok());
}

TEST(BodySchemaTest, MissingRequiredTopLevelMemberIsNamed) {
  core::Error e = rejection(orderSchema(), R"({"owner": {"email": "a@b.c"}})");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.field(), "items");
  EXPECT_THAT(e.message(), HasSubstr("items"));
}

TEST(BodySchemaTest, MissingRequiredNestedMemberIsNamedByItsDottedPath) {
  core::Error e = rejection(orderSchema(), R"({"owner": {}, "items": []})");
  EXPECT_EQ(e.field(), "owner.email");
  EXPECT_THAT(e.message(), HasSubstr("owner.email"));
}

TEST(BodySchemaTest, TypeErrorInANestedMemberNamesItsPath) {
  core::Error e = rejection(orderSchema(), R"({"owner": {"email": 5}, "items": []})");
  EXPECT_EQ(e.field(), "owner.email");
  EXPECT_THAT(e.message(), HasSubstr("owner.email"));
}

TEST(BodySchemaTest, ConstraintErrorInANestedMemberNamesItsPath) {
  core::Error e = rejection(orderSchema(), R"({"owner": {"email": "x"}, "items": []})");
  EXPECT_EQ(e.field(), "owner.email");
}

TEST(BodySchemaTest, ErrorInAnArrayItemNamesItsIndex) {
  core::Error e = rejection(
      orderSchema(), R"({"owner": {"email": "a@b.c"}, "items": [{"sku": "ok"}, {"sku": 7}]})");
  EXPECT_EQ(e.field(), "items.1.sku");
  EXPECT_THAT(e.message(), HasSubstr("items.1.sku"));
}

TEST(BodySchemaTest, MissingMemberOfAnArrayItemNamesIndexAndMember) {
  core::Error e = rejection(
      orderSchema(),
      R"({"owner": {"email": "a@b.c"}, "items": [{"sku": "a"}, {"sku": "b"}, {"qty": 1}]})");
  EXPECT_EQ(e.field(), "items.2.sku");
}

TEST(BodySchemaTest, RangeErrorInAnArrayItemNamesIt) {
  core::Error e = rejection(orderSchema(),
                            R"({"owner": {"email": "a@b.c"}, "items": [{"sku": "a", "qty": 0}]})");
  EXPECT_EQ(e.field(), "items.0.qty");
}

TEST(BodySchemaTest, WrongTopLevelMemberTypeNamesIt) {
  core::Error e = rejection(orderSchema(), R"({"owner": {"email": "a@b.c"}, "items": {}})");
  EXPECT_EQ(e.field(), "items");
}

TEST(BodySchemaTest, WrongRootTypeNamesTheBody) {
  core::Error e = rejection(orderSchema(), R"([1, 2])");
  EXPECT_EQ(e.field(), "body");
  EXPECT_THAT(e.message(), HasSubstr("Invalid request body"));
}

TEST(BodySchemaTest, RejectsAnInvalidSchemaAtCompileTime) {
  auto compiled = BodySchema::compile(parse(R"({"type": 5})"));
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.error().type(), "ValidationException");
  EXPECT_EQ(compiled.error().field(), "bodySchema");
  EXPECT_THAT(compiled.error().message(), HasSubstr("invalid body schema"));
}

TEST(BodySchemaTest, SurvivesAMove) {
  BodySchema schema = orderSchema();
  BodySchema moved = std::move(schema);
  EXPECT_EQ(rejection(moved, R"({"owner": {}, "items": []})").field(), "owner.email");
  BodySchema assigned = orderSchema();
  assigned = std::move(moved);
  EXPECT_TRUE(assigned.validate(parse(R"({"owner": {"email": "abc"}, "items": []})")).ok());
}

}  // namespace
}  // namespace bakery::runtime
