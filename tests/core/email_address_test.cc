#include "core/email_address.h"

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

EmailAddress normal(std::string_view text) {
  auto e = normalizeEmail(text);
  EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message());
  return e.ok() ? *e : EmailAddress{};
}

TEST(EmailAddressTest, CaseAndWidthVariantsNormalizeToOneAddress) {
  EXPECT_EQ(normal("Ada@Example.COM").normalized, "ada@example.com");
  // Full-width letters (U+FF21...) are the same address once NFKC-folded.
  EXPECT_EQ(normal("\xEF\xBC\xA1\xEF\xBC\xA4\xEF\xBC\xA1@example.com").normalized,
            "ada@example.com");
  EXPECT_EQ(normal("ADA@EXAMPLE.COM").skeleton, normal("ada@example.com").skeleton);
}

TEST(EmailAddressTest, ConfusableSpellingsShareASkeleton) {
  // "pаypal" with a Cyrillic а (U+0430) looks like "paypal" and must not be another account.
  EmailAddress latin = normal("paypal@example.com");
  EmailAddress cyrillic = normal("p\xD0\xB0ypal@example.com");
  EXPECT_NE(latin.normalized, cyrillic.normalized);
  EXPECT_EQ(latin.skeleton, cyrillic.skeleton);
  // "rn" reads as "m".
  EXPECT_EQ(normal("rnary@example.com").skeleton, normal("mary@example.com").skeleton);
  EXPECT_NE(normal("ada@example.com").skeleton, normal("bob@example.com").skeleton);
}

TEST(EmailAddressTest, RefusesWhatIsNotAnAddress) {
  for (std::string_view bad :
       {"", "ada", "@example.com", "ada@", "ada@@example.com", "ada@example", "ada@.com",
        "ada@example..com", "ada@example.com.", "a da@example.com", "ada@exa\tmple.com",
        ".ada@example.com", "ada.@example.com", "ada@exa\x01mple.com", "\xC3\x28@example.com"}) {
    auto e = normalizeEmail(bad, "owner.email");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().type(), "ValidationException");
    EXPECT_EQ(e.error().field(), "owner.email");
  }
  EXPECT_FALSE(normalizeEmail(std::string(250, 'a') + "@example.com").ok());
}

TEST(EmailAddressTest, InjectionStringsAreRefusedNotInterpreted) {
  EXPECT_FALSE(normalizeEmail("'; DROP TABLE users; --@example.com").ok());
  EXPECT_FALSE(normalizeEmail("{\"$ne\": null}").ok());
  // Characters the address syntax allows stay verbatim.
  EXPECT_EQ(normal("o'hara+news@example.com").normalized, "o'hara+news@example.com");
}

}  // namespace
}  // namespace bakery::core
