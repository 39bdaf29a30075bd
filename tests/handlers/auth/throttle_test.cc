#include "handlers/auth/throttle.h"

#include <gtest/gtest.h>

namespace bakery::handlers::auth::detail {
namespace {

using std::chrono::seconds;

TEST(LockoutTest, NoLockoutBelowTheThreshold) {
  EXPECT_EQ(lockoutDuration(0, 5, seconds(1), seconds(900)), seconds(0));
  EXPECT_EQ(lockoutDuration(4, 5, seconds(1), seconds(900)), seconds(0));
}

TEST(LockoutTest, DoublesWithEachFailurePastTheThreshold) {
  EXPECT_EQ(lockoutDuration(5, 5, seconds(1), seconds(900)), seconds(1));
  EXPECT_EQ(lockoutDuration(6, 5, seconds(1), seconds(900)), seconds(2));
  EXPECT_EQ(lockoutDuration(7, 5, seconds(1), seconds(900)), seconds(4));
  EXPECT_EQ(lockoutDuration(7, 5, seconds(3), seconds(900)), seconds(12));
}

TEST(LockoutTest, StopsAtTheMaximumWithoutOverflow) {
  EXPECT_EQ(lockoutDuration(20, 5, seconds(1), seconds(900)), seconds(900));
  EXPECT_EQ(lockoutDuration(1'000'000'000, 5, seconds(1), seconds(900)), seconds(900));
}

TEST(LockoutTest, AccountKeysSeparateTenantsAndAddresses) {
  EXPECT_NE(accountThrottleKey("acme", "a@x.io"), accountThrottleKey("acme2", "a@x.io"));
  EXPECT_NE(accountThrottleKey("acme", "a@x.io"), ipThrottleKey("a@x.io"));
}

}  // namespace
}  // namespace bakery::handlers::auth::detail
