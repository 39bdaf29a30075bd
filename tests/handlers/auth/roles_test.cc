#include "handlers/auth/roles.h"

#include <gtest/gtest.h>

namespace bakery::handlers::auth {
namespace {

Caller callerWith(std::string id, std::vector<std::string> roles, const CustomRoles& custom = {}) {
  Caller c{std::move(id), roles, {}};
  c.scopes = scopesOf(roles, custom);
  return c;
}

TEST(RolesTest, OwnerHoldsEveryKnownScopeIncludingTenantAdmin) {
  auto scopes = builtInScopes("owner");
  EXPECT_EQ(scopes.size(), knownScopes().size());
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), "tenant:admin"), scopes.end());
}

TEST(RolesTest, BuiltInRolesHaveTheDocumentedScopes) {
  EXPECT_EQ(builtInScopes("viewer"), (std::vector<std::string>{"data:read", "users:read"}));
  EXPECT_EQ(builtInScopes("member"),
            (std::vector<std::string>{"apikeys:read", "data:read", "data:write", "users:read"}));
  auto admin = builtInScopes("admin");
  EXPECT_EQ(admin.size(), 10u);
  EXPECT_EQ(std::find(admin.begin(), admin.end(), "tenant:admin"), admin.end());
  EXPECT_TRUE(builtInScopes("superuser").empty());
}

TEST(RolesTest, KnownScopesAreRecognisedAndOthersAreNot) {
  for (auto s : knownScopes()) EXPECT_TRUE(isKnownScope(s)) << s;
  EXPECT_FALSE(isKnownScope("users:delete"));
  EXPECT_FALSE(isKnownScope(""));
}

TEST(RolesTest, ScopesOfIsTheSortedUnionAndIgnoresUnknownRoles) {
  CustomRoles custom{{"billing", {"audit:read", "data:read"}}};
  EXPECT_EQ(scopesOf({"viewer", "billing", "deleted-role"}, custom),
            (std::vector<std::string>{"audit:read", "data:read", "users:read"}));
  EXPECT_TRUE(scopesOf({}, custom).empty());
}

TEST(RolesTest, JoinScopesSeparatesWithSingleSpaces) {
  EXPECT_EQ(joinScopes({"a:b", "c:d"}), "a:b c:d");
  EXPECT_EQ(joinScopes({}), "");
}

TEST(RolesTest, CustomRoleNamesFollowThePatternAndAvoidBuiltIns) {
  EXPECT_TRUE(isValidCustomRoleName("billing"));
  EXPECT_TRUE(isValidCustomRoleName("support-2"));
  EXPECT_TRUE(isValidCustomRoleName("ab"));
  EXPECT_TRUE(isValidCustomRoleName(std::string(32, 'a')));
  EXPECT_FALSE(isValidCustomRoleName(std::string(33, 'a')));
  EXPECT_FALSE(isValidCustomRoleName("a"));
  EXPECT_FALSE(isValidCustomRoleName("2fa"));
  EXPECT_FALSE(isValidCustomRoleName("Billing"));
  EXPECT_FALSE(isValidCustomRoleName("bill_ing"));
  EXPECT_FALSE(isValidCustomRoleName("admin"));
  EXPECT_FALSE(isValidCustomRoleName("owner"));
}

TEST(RolesTest, OnlyOwnersGrantOrRemoveOwner) {
  auto admin = callerWith("u-admin", {"admin"});
  auto owner = callerWith("u-owner", {"owner"});
  EXPECT_EQ(checkGrant(admin, "owner", {}), GrantVerdict::kOwnerOnly);
  EXPECT_EQ(checkGrant(owner, "owner", {}), GrantVerdict::kAllowed);
  EXPECT_EQ(checkRoleChange(admin, "u-x", {"owner"}, {"admin"}, {}), GrantVerdict::kOwnerOnly);
  EXPECT_EQ(checkRoleChange(owner, "u-x", {"owner"}, {"admin"}, {}), GrantVerdict::kAllowed);
}

TEST(RolesTest, CallersGrantOnlyRolesWithinTheirOwnScopes) {
  CustomRoles custom{{"auditor", {"audit:read"}}, {"root", {"tenant:admin"}}};
  auto admin = callerWith("u-admin", {"admin"}, custom);
  EXPECT_EQ(checkGrant(admin, "member", custom), GrantVerdict::kAllowed);
  EXPECT_EQ(checkGrant(admin, "auditor", custom), GrantVerdict::kAllowed);
  EXPECT_EQ(checkGrant(admin, "root", custom), GrantVerdict::kBeyondCallerScope);
  auto member = callerWith("u-member", {"member"}, custom);
  EXPECT_EQ(checkGrant(member, "admin", custom), GrantVerdict::kBeyondCallerScope);
  EXPECT_EQ(checkRoleChange(admin, "u-x", {"member"}, {"member", "root"}, custom),
            GrantVerdict::kBeyondCallerScope);
  // Removing a role one could not grant is refused too.
  EXPECT_EQ(checkRoleChange(admin, "u-x", {"member", "root"}, {"member"}, custom),
            GrantVerdict::kBeyondCallerScope);
}

TEST(RolesTest, NobodyRaisesTheirOwnRoles) {
  auto member = callerWith("u-1", {"member"});
  EXPECT_EQ(checkRoleChange(member, "u-1", {"member"}, {"admin"}, {}),
            GrantVerdict::kSelfEscalation);
  auto admin = callerWith("u-2", {"admin"});
  EXPECT_EQ(checkRoleChange(admin, "u-2", {"admin"}, {"admin", "owner"}, {}),
            GrantVerdict::kSelfEscalation);
  // An owner adding a role whose scopes they already hold does not widen anything.
  auto owner = callerWith("u-3", {"owner"});
  EXPECT_EQ(checkRoleChange(owner, "u-3", {"owner"}, {"owner", "admin"}, {}),
            GrantVerdict::kAllowed);
}

TEST(RolesTest, CallersMayLowerTheirOwnRoles) {
  auto admin = callerWith("u-2", {"admin"});
  EXPECT_EQ(checkRoleChange(admin, "u-2", {"admin"}, {"viewer"}, {}), GrantVerdict::kAllowed);
}

TEST(RolesTest, ManagingAUserNeedsTheRightToGrantEachOfItsRoles) {
  auto admin = callerWith("u-admin", {"admin"});
  EXPECT_TRUE(mayManage(admin, {"member", "viewer"}, {}));
  EXPECT_FALSE(mayManage(admin, {"owner"}, {}));
  auto owner = callerWith("u-owner", {"owner"});
  EXPECT_TRUE(mayManage(owner, {"owner"}, {}));
}

}  // namespace
}  // namespace bakery::handlers::auth
