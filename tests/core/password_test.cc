#include "core/password.h"

#include <array>
#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

namespace bakery::core {
namespace {

using namespace std::string_literals;

// libsodium's minimum Argon2id cost keeps these tests fast, even under sanitizers.
constexpr PasswordCost kCheap{.iterations = 1, .memoryKiB = 64};

TEST(PasswordHasherTest, HashVerifiesItsPassword) {
  PasswordHasher hasher(kCheap);
  auto hash = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.error().message();
  EXPECT_TRUE(hasher.verify(*hash, "correct horse battery staple"));
}

TEST(PasswordHasherTest, HashIsAnArgon2idPhcStringWithTheCost) {
  PasswordHasher hasher(kCheap);
  std::string hash = hasher.hash("pw").value();
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << hash;
}

TEST(PasswordHasherTest, SaltsEveryHash) {
  PasswordHasher hasher(kCheap);
  std::string a = hasher.hash("same").value();
  std::string b = hasher.hash("same").value();
  EXPECT_NE(a, b);
  EXPECT_TRUE(hasher.verify(a, "same"));
  EXPECT_TRUE(hasher.verify(b, "same"));
}

TEST(PasswordHasherTest, RefusesAWrongPassword) {
  PasswordHasher hasher(kCheap);
  std::string hash = hasher.hash("secret").value();
  for (std::string_view wrong : {"Secret", "secret ", "secre", ""}) {
    EXPECT_FALSE(hasher.verify(hash, wrong)) << wrong;
  }
  EXPECT_FALSE(hasher.verify(hash, "secret\0x"s));
}

TEST(PasswordHasherTest, HashesPasswordsWithEmbeddedNulBytesWhole) {
  PasswordHasher hasher(kCheap);
  std::string hash = hasher.hash("a\0b"s).value();
  EXPECT_TRUE(hasher.verify(hash, "a\0b"s));
  EXPECT_FALSE(hasher.verify(hash, "a"));
  EXPECT_FALSE(hasher.verify(hash, "a\0c"s));
}

TEST(PasswordHasherTest, VerifiesHashesMadeUnderAnotherCost) {
  PasswordHasher old(kCheap);
  PasswordHasher current({.iterations = 2, .memoryKiB = 128});
  std::string hash = old.hash("pw").value();
  EXPECT_TRUE(current.verify(hash, "pw"));
  EXPECT_TRUE(current.needsRehash(hash));
}

TEST(PasswordHasherTest, VerifyIsFalseForGarbage) {
  PasswordHasher hasher(kCheap);
  std::string hash = hasher.hash("pw").value();
  std::string embeddedNul = hash;
  embeddedNul.insert(10, 1, '\0');
  const std::string garbage[] = {
      "",
      "pw",
      "$argon2id$",
      "$argon2id$v=19$m=64,t=1,p=1$",
      "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
      hash.substr(0, hash.size() - 5),
      hash + "AAAA",
      embeddedNul,
      hash.substr(1),
      std::string(4096, '$'),
      "$argon2id$" + std::string(4096, 'A'),
      // Huge costs are refused before any memory is allocated.
      "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=64,t=4294967295,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=99999999999999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
      "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
  };
  for (const std::string& encoded : garbage) {
    EXPECT_FALSE(hasher.verify(encoded, "pw")) << encoded;
  }
}

TEST(PasswordHasherTest, NeedsRehashForAnythingButAnArgon2idHash) {
  PasswordHasher hasher(kCheap);
  for (const char* encoded :
       {"", "pw", "$argon2id$", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"}) {
    EXPECT_TRUE(hasher.needsRehash(encoded)) << encoded;
  }
}

TEST(PasswordHasherTest, RefusesArgon2iHashes) {
  // A valid hash of the right password, but of Argon2i, not Argon2id.
  PasswordHasher hasher(kCheap);
  ASSERT_GE(sodium_init(), 0);
  std::array<char, crypto_pwhash_STRBYTES> out{};
  ASSERT_EQ(crypto_pwhash_str_alg(out.data(), "pw", 2, 3, 64 * 1024, crypto_pwhash_ALG_ARGON2I13),
            0);
  std::string argon2i(out.data());
  ASSERT_TRUE(argon2i.starts_with("$argon2i$")) << argon2i;
  EXPECT_FALSE(hasher.verify(argon2i, "pw"));
  EXPECT_TRUE(hasher.needsRehash(argon2i));
}

TEST(PasswordHasherTest, NeedsRehashOnlyForOtherParameters) {
  PasswordHasher hasher(kCheap);
  std::string hash = hasher.hash("pw").value();
  EXPECT_FALSE(hasher.needsRehash(hash));
  EXPECT_TRUE(PasswordHasher({.iterations = 2, .memoryKiB = 64}).needsRehash(hash));
  EXPECT_TRUE(PasswordHasher({.iterations = 1, .memoryKiB = 128}).needsRehash(hash));
}

TEST(PasswordHasherTest, DecoyVerifiesFalseForAnything) {
  PasswordHasher hasher(kCheap);
  ASSERT_TRUE(hasher.decoy().starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << hasher.decoy();
  EXPECT_FALSE(hasher.needsRehash(hasher.decoy()));
  for (std::string_view guess : {"", "password", "123456", "\0", "decoy"}) {
    EXPECT_FALSE(hasher.verify(hasher.decoy(), guess)) << guess;
  }
  EXPECT_FALSE(hasher.verify(hasher.decoy(), hasher.decoy()));
}

TEST(PasswordHasherTest, EachHasherHasItsOwnDecoy) {
  EXPECT_NE(PasswordHasher(kCheap).decoy(), PasswordHasher(kCheap).decoy());
}

TEST(PasswordHasherTest, HashFailsForACostBelowLibsodiumsMinimum) {
  PasswordHasher hasher({.iterations = 0, .memoryKiB = 1});
  EXPECT_FALSE(hasher.hash("pw").ok());
  EXPECT_TRUE(hasher.decoy().empty());
  EXPECT_FALSE(hasher.verify(hasher.decoy(), "pw"));
}

TEST(PasswordHasherTest, DefaultCostRoundTrips) {
  PasswordHasher hasher;
  EXPECT_EQ(hasher.cost().iterations, 2u);
  EXPECT_EQ(hasher.cost().memoryKiB, 19456u);
  std::string hash = hasher.hash("pw").value();
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_TRUE(hasher.verify(hash, "pw"));
  EXPECT_FALSE(hasher.verify(hash, "pW"));
  EXPECT_FALSE(hasher.needsRehash(hash));
  EXPECT_TRUE(PasswordHasher(kCheap).needsRehash(hash));
}

TEST(PasswordHasherTest, ManyThreadsThroughANarrowGateAllFinishCorrectly) {
  PasswordCost narrow = kCheap;
  narrow.maxConcurrent = 1;
  PasswordHasher hasher(narrow);
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::string password = "password number " + std::to_string(t);
      auto hash = hasher.hash(password);
      if (hash && hasher.verify(*hash, password) && !hasher.verify(*hash, "other")) ++verified;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 6);
}

}  // namespace
}  // namespace bakery::core
