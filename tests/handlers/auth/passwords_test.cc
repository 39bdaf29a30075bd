#include "handlers/auth/passwords.h"

#include <gtest/gtest.h>

namespace bakery::handlers::auth {
namespace {

TEST(PasswordPolicyTest, BundledListHasThousandsOfLongEntries) {
  auto list = CommonPasswordList::bundled();
  EXPECT_GE(list.size(), 3000u);
  EXPECT_TRUE(list.contains("qwerty123456"));
  EXPECT_TRUE(list.contains("1qaz2wsx3edc"));
}

TEST(PasswordPolicyTest, ListLookupIgnoresAsciiCase) {
  CommonPasswordList list("# a comment\nCorrectHorse12\n\nplain-entry-here\r\n");
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(list.contains("correcthorse12"));
  EXPECT_TRUE(list.contains("CORRECTHORSE12"));
  EXPECT_TRUE(list.contains("plain-entry-here"));
  EXPECT_FALSE(list.contains("# a comment"));
  EXPECT_FALSE(list.contains("correcthorse"));
}

TEST(PasswordPolicyTest, AcceptsALongUncommonPassword) {
  CommonPasswordList list("");
  EXPECT_TRUE(checkPasswordPolicy("plum-kettle-93-orbit", list, "password").ok());
}

TEST(PasswordPolicyTest, RefusesFewerThanTwelveCharactersNamingTheField) {
  CommonPasswordList list("");
  auto r = checkPasswordPolicy("short-pass1", list, "owner.password");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), "ValidationException");
  EXPECT_EQ(r.error().field(), "owner.password");
}

TEST(PasswordPolicyTest, CountsCodePointsNotBytes) {
  CommonPasswordList list("");
  // Eleven two-byte letters: 22 bytes, but 11 characters.
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += "\xC3\xA9";
  EXPECT_FALSE(checkPasswordPolicy(eleven, list, "password").ok());
  EXPECT_TRUE(checkPasswordPolicy(eleven + "\xC3\xA9", list, "password").ok());
  EXPECT_EQ(countCodePoints("\xE2\x82\xAC"
                            "ab"),
            3u);
}

TEST(PasswordPolicyTest, RefusesMoreThan1024Bytes) {
  CommonPasswordList list("");
  EXPECT_TRUE(checkPasswordPolicy(std::string(1024, 'x'), list, "password").ok());
  EXPECT_FALSE(checkPasswordPolicy(std::string(1025, 'x'), list, "password").ok());
}

TEST(PasswordPolicyTest, RefusesInvalidUtf8) {
  CommonPasswordList list("");
  EXPECT_FALSE(checkPasswordPolicy("abcdefghijkl\xFF", list, "password").ok());
}

TEST(PasswordPolicyTest, RefusesCommonPasswordsWhateverTheirCase) {
  auto list = CommonPasswordList::bundled();
  EXPECT_FALSE(checkPasswordPolicy("QWERTY123456", list, "password").ok());
  EXPECT_FALSE(checkPasswordPolicy("qwerty123456", list, "password").ok());
}

}  // namespace
}  // namespace bakery::handlers::auth
