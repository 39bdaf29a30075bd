// Micro-benchmarks of access-token verification, each beside the baseline it is judged against:
//   verify (EdDSA)           vs libsodium's crypto_sign_verify_detached of the same signing
//                              input (the signature check alone)
//   verify (RS256, HS256)    vs the same baselines: the rest of verify() is shared
//   the claims checks        vs decoding and parsing the claims JSON (what any verifier pays)
//   Argon2id at the default cost (PasswordHasher::hash), the price of one login
#include <chrono>
#include <string>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include "core/json.h"
#include "core/jwt.h"
#include "core/password.h"

namespace bakery::core::jwt {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

// A realistic access token's claims.
json::object accessClaims() {
  return {{"iss", "https://auth.bakery.example"},
          {"sub", "user-7f3c2a9e-41b8-4d6a-9c1e-0b5d8e2f7a13"},
          {"aud", "bakery-api"},
          {"exp", kNow + 900},
          {"iat", kNow},
          {"nbf", kNow},
          {"jti", "01HV8Z6Q3K9M2X7C4B5N1P0R8T"},
          {"tenant", "tenant-acme-bakeries"},
          {"roles", json::array{"baker", "inventory:read", "orders:write"}},
          {"scope", "orders:read orders:write inventory:read profile"}};
}

struct Fixture {
  explicit Fixture(Algorithm algorithm)
      : key(Key::generate(algorithm, "bench-key").value()),
        token(sign(key, accessClaims()).value()) {
    keys.add(key);
    options.now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow + 60));
    options.issuer = "https://auth.bakery.example";
    options.audience = "bakery-api";
  }
  Key key;
  std::string token;
  KeySet keys;
  VerifyOptions options;
};

void verifyLoop(benchmark::State& state, Algorithm algorithm) {
  Fixture f(algorithm);
  if (!verify(f.token, f.keys, f.options).ok()) {
    state.SkipWithError("the token does not verify");
    return;
  }
  for (auto _ : state) {
    auto verified = verify(f.token, f.keys, f.options);
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(f.token.size()) + " B token");
}

void BM_VerifyEdDSA(benchmark::State& state) { verifyLoop(state, Algorithm::kEdDSA); }
BENCHMARK(BM_VerifyEdDSA);

void BM_VerifyRS256(benchmark::State& state) { verifyLoop(state, Algorithm::kRS256); }
BENCHMARK(BM_VerifyRS256);

void BM_VerifyHS256(benchmark::State& state) { verifyLoop(state, Algorithm::kHS256); }
BENCHMARK(BM_VerifyHS256);

void BM_Baseline_SodiumEd25519Verify(benchmark::State& state) {
  Fixture f(Algorithm::kEdDSA);
  std::size_t lastDot = f.token.rfind('.');
  std::string input = f.token.substr(0, lastDot);
  std::string signature = base64UrlDecode(f.token.substr(lastDot + 1)).value();
  std::string publicKey = base64UrlDecode(f.key.publicJwk()["x"].as_string()).value();
  auto bytes = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  };
  for (auto _ : state) {
    int rc =
        crypto_sign_verify_detached(bytes(signature), bytes(input), input.size(), bytes(publicKey));
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_SodiumEd25519Verify);

void BM_Baseline_ParseClaims(benchmark::State& state) {
  Fixture f(Algorithm::kEdDSA);
  std::size_t first = f.token.find('.');
  std::string claims = f.token.substr(first + 1, f.token.rfind('.') - first - 1);
  for (auto _ : state) {
    auto parsed = parseJson(base64UrlDecode(claims).value(), "claims");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_ParseClaims);

void BM_Argon2idDefaultCost(benchmark::State& state) {
  PasswordHasher hasher;
  for (auto _ : state) {
    auto hash = hasher.hash("correct horse battery staple");
    benchmark::DoNotOptimize(hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Argon2idDefaultCost)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bakery::core::jwt

BENCHMARK_MAIN();
