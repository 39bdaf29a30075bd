#include "core/result.h"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

TEST(ErrorTest, ValidationIs400AndNamesTheField) {
  Error e = Error::validation("email is malformed", "owner.email");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.message(), "email is malformed");
  EXPECT_EQ(e.field(), "owner.email");
}

TEST(ErrorTest, ValidationWithoutFieldLeavesItEmpty) {
  EXPECT_EQ(Error::validation("bad").field(), "");
}

TEST(ErrorTest, NotFoundIs404ResourceNotFoundException) {
  Error e = Error::notFound("no such item");
  EXPECT_EQ(e.type(), "ResourceNotFoundException");
  EXPECT_EQ(e.status(), 404);
  EXPECT_EQ(e.message(), "no such item");
}

TEST(ErrorTest, ConflictIs409WithTheGivenType) {
  Error e = Error::conflict("ConditionalCheckFailedException", "condition failed");
  EXPECT_EQ(e.type(), "ConditionalCheckFailedException");
  EXPECT_EQ(e.status(), 409);
}

TEST(ErrorTest, ThrottledIs429TooManyRequestsException) {
  Error e = Error::throttled("slow down");
  EXPECT_EQ(e.type(), "TooManyRequestsException");
  EXPECT_EQ(e.status(), 429);
}

TEST(ErrorTest, InternalIs500WithAGenericMessageByDefault) {
  Error e = Error::internal();
  EXPECT_EQ(e.type(), "InternalServerException");
  EXPECT_EQ(e.status(), 500);
  EXPECT_EQ(e.message(), "Internal server error");
}

TEST(ResultTest, HoldsAValue) {
  Result<std::string> r(std::string("bread"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), "bread");
  EXPECT_EQ(*r, "bread");
  EXPECT_EQ(r->size(), 5u);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> r(Error::notFound("gone"));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().status(), 404);
  EXPECT_EQ(r.error().message(), "gone");
}

TEST(ResultTest, ValueCanBeMovedOut) {
  Result<std::string> r(std::string(100, 'x'));
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, std::string(100, 'x'));
}

TEST(ResultTest, ValueIsMutableThroughAccessors) {
  Result<int> r(1);
  r.value() = 2;
  *r += 1;
  EXPECT_EQ(r.value(), 3);
}

TEST(ResultTest, CopiesAreIndependent) {
  Result<std::string> a(std::string("rye"));
  Result<std::string> b = a;
  b.value() = "spelt";
  EXPECT_EQ(a.value(), "rye");
  EXPECT_EQ(b.value(), "spelt");

  Result<int> e(Error::throttled("busy"));
  Result<int> f = e;
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error().type(), "TooManyRequestsException");
}

TEST(ResultVoidTest, DefaultIsOk) {
  Result<void> r;
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
}

TEST(ResultVoidTest, HoldsAnError) {
  Result<void> r(Error::validation("nope", "name"));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().type(), "ValidationException");
  EXPECT_EQ(r.error().field(), "name");
}

}  // namespace
}  // namespace bakery::core
