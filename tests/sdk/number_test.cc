#include <gtest/gtest.h>

#include <bakery/table/number.h>

namespace bakery::table {
namespace {

std::string canonical(std::string_view text) {
  auto n = normalizeNumber(text);
  return n ? *n : "error: " + n.error().message();
}

TEST(NumberTest, NormalizesToPlainDecimalText) {
  EXPECT_EQ(canonical("1.50e2"), "150");
  EXPECT_EQ(canonical("-0.0"), "0");
  EXPECT_EQ(canonical("0.010"), "0.01");
  EXPECT_EQ(canonical("007"), "7");
  EXPECT_EQ(canonical(".5"), "0.5");
  EXPECT_EQ(canonical("5."), "5");
  EXPECT_EQ(canonical("1E-3"), "0.001");
  EXPECT_EQ(canonical("-12.3400"), "-12.34");
}

TEST(NumberTest, KeepsThirtyEightSignificantDigitsExactly) {
  EXPECT_EQ(canonical("12345678901234567890123456789012345678"),
            "12345678901234567890123456789012345678");
  EXPECT_EQ(canonical("0.12345678901234567890123456789012345678"),
            "0.12345678901234567890123456789012345678");
}

TEST(NumberTest, RejectsWhatDynamoDbRejects) {
  EXPECT_EQ(canonical("123456789012345678901234567890123456789"),
            "error: Attempting to store more than 38 significant digits in a Number");
  EXPECT_EQ(canonical("1E126"),
            "error: Number overflow. Attempting to store a number with magnitude larger than "
            "supported range");
  EXPECT_EQ(canonical("1E-131"),
            "error: Number underflow. Attempting to store a number with magnitude smaller than "
            "supported range");
  EXPECT_EQ(canonical("abc"), "error: The parameter cannot be converted to a numeric value: abc");
  EXPECT_EQ(canonical(""), "error: The parameter cannot be converted to a numeric value");
  EXPECT_EQ(canonical("+1"), "error: The parameter cannot be converted to a numeric value: +1");
  EXPECT_EQ(canonical("1e"), "error: The parameter cannot be converted to a numeric value: 1e");
}

TEST(NumberTest, AcceptsTheExtremesOfTheRange) {
  EXPECT_TRUE(normalizeNumber("9.9999999999999999999999999999999999999E+125").ok());
  EXPECT_TRUE(normalizeNumber("-1E-130").ok());
}

TEST(NumberTest, ComparesNumerically) {
  EXPECT_LT(compareNumbers("2", "10"), 0);
  EXPECT_LT(compareNumbers("-10", "-2"), 0);
  EXPECT_LT(compareNumbers("0.001", "0.01"), 0);
  EXPECT_EQ(compareNumbers("1.5", "1.5"), 0);
  EXPECT_GT(compareNumbers("0", "-0.5"), 0);
  EXPECT_LT(compareNumbers("1.2", "1.23"), 0);
  EXPECT_GT(compareNumbers("-1.2", "-1.23"), 0);
}

TEST(NumberTest, AddsAndSubtractsExactly) {
  EXPECT_EQ(*addNumbers("0.1", "0.2"), "0.3");
  EXPECT_EQ(*addNumbers("99999999999999999999999999999999999999", "-1"),
            "99999999999999999999999999999999999998");
  EXPECT_EQ(*subtractNumbers("1", "1"), "0");
  EXPECT_EQ(*subtractNumbers("-5", "2.5"), "-7.5");
  EXPECT_EQ(*addNumbers("1E+100", "1E+100"), "2" + std::string(100, '0'));
}

TEST(NumberTest, ArithmeticNeedingMoreThan38DigitsFails) {
  auto r = addNumbers("99999999999999999999999999999999999999", "0.1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "Attempting to store more than 38 significant digits in a Number");
}

}  // namespace
}  // namespace bakery::table
