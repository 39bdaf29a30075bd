// Micro-benchmarks of the gateway's access-token check, each beside the baseline it is judged
// against (issue #5: at least 50,000 EdDSA verifications per second on one core):
//   Authorizer::verifyToken, cached   a client repeating its 15-minute token: one SHA-256 and
//                                       one lookup (one token, and 10,000 clients in turn)
//   Authorizer::verifyToken, uncached distinct tokens (other jti) and a one-entry-per-shard
//                                       cache, so every call checks the signature: EdDSA,
//                                       RS256, HS256
//   core::jwt::verify                 the same tokens verified directly (signature and claims,
//                                       no cache, no Identity): the floor of an uncached call
//   Key::verifyBytes                  the signature check alone (libsodium's Ed25519)
// The keys come from a real identity::KeyRing in a fresh temporary directory, the tokens from
// KeyRing::sign with the claims the auth capability puts in its access tokens, and time from a
// ManualClock, so no token expires during a run.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <bakery/identity.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/jwt.h"
#include "core/random.h"
#include "platform/gateway/authorizer.h"
#include "platform/identity/key_ring.h"

namespace bakery::gateway {
namespace {

namespace jwt = core::jwt;

constexpr char kIssuer[] = "bakery";
constexpr char kAudience[] = "bakery";
// Enough distinct tokens that a 16-shard cache of one entry each never holds the next one.
constexpr std::size_t kUncachedTokens = 1024;
// The smallest cache the authorizer builds: one entry per shard.
constexpr std::size_t kTinyCache = 1;

// A fresh directory under $TMPDIR (or /tmp), removed with the fixture.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/authorizer-bench-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The claims of an owner's access token as the auth capability signs them.
json::object ownerClaims(const core::Clock& clock) {
  std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.wallNow().time_since_epoch()).count();
  return {{"iss", kIssuer},
          {"sub", "usr_" + core::randomToken(12)},
          {"aud", kAudience},
          {"iat", now},
          {"nbf", now},
          {"exp", now + 900},
          {"jti", core::randomToken(16)},
          {"tenant", "tn_" + core::randomToken(10)},
          {"roles", json::array{"owner"}},
          {"scope",
           "apikeys:read apikeys:write audit:read data:read data:write roles:read roles:write "
           "tenant:admin users:invite users:read users:write"}};
}

// A key ring on disk, `count` tokens it signed (each its own jti, sub and tenant), and an
// authorizer reading the ring's keys with a token cache of `cacheCapacity`.
struct Fixture {
  Fixture(jwt::Algorithm algorithm, std::size_t count, std::size_t cacheCapacity)
      : ring(identity::KeyRingOptions{.algorithm = algorithm,
                                      .issuer = kIssuer,
                                      .audience = kAudience,
                                      .keysFile = dir.path() + "/keys/signing-keys.json"},
             clock) {
    if (dir.path().empty()) {
      error = "cannot create a temporary directory";
      return;
    }
    if (auto opened = ring.open(); !opened) {
      error = "KeyRing::open: " + opened.error().message();
      return;
    }
    for (std::size_t i = 0; i < count; ++i) {
      auto token = ring.sign(ownerClaims(clock));
      if (!token) {
        error = "KeyRing::sign: " + token.error().message();
        return;
      }
      tokens.push_back(std::move(*token));
    }
    AuthorizerOptions options;
    options.issuer = kIssuer;
    options.audience = kAudience;
    options.tokenCacheCapacity = cacheCapacity;
    authorizer = std::make_unique<Authorizer>(
        std::move(options), [this] { return ring.verificationKeys(); }, identity::HttpFetch(),
        clock);
    verifyOptions.now = clock.wallNow();
    verifyOptions.issuer = kIssuer;
    verifyOptions.audience = kAudience;
    // Every token must pass both ways before anything is timed.
    for (const auto& t : tokens) {
      if (auto id = authorizer->verifyToken(t); !id) {
        error = "Authorizer::verifyToken: " + id.error().message();
        return;
      }
      if (auto v = jwt::verify(t, *ring.verificationKeys(), verifyOptions); !v) {
        error = "jwt::verify: " + v.error().message();
        return;
      }
    }
  }

  bool ready(benchmark::State& state) const {
    if (error.empty()) return true;
    state.SkipWithError(error.c_str());
    return false;
  }

  TempDir dir;
  core::ManualClock clock;
  identity::KeyRing ring;
  std::vector<std::string> tokens;
  std::unique_ptr<Authorizer> authorizer;
  jwt::VerifyOptions verifyOptions;
  std::string error;
};

void label(benchmark::State& state, const Fixture& f, const char* what) {
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(what) + ", " + std::to_string(f.tokens.front().size()) + " B token");
}

// --- Authorizer::verifyToken ---

void BM_AuthorizerCachedEdDSA(benchmark::State& state) {
  Fixture f(jwt::Algorithm::kEdDSA, 1, AuthorizerOptions{}.tokenCacheCapacity);
  if (!f.ready(state)) return;
  const std::string& token = f.tokens.front();
  for (auto _ : state) {
    auto id = f.authorizer->verifyToken(token);
    benchmark::DoNotOptimize(id);
  }
  label(state, f, "one token, cache hit");
}
BENCHMARK(BM_AuthorizerCachedEdDSA);

// 10,000 clients, each with its own token, in turn: every call still hits the cache, but the
// entry is rarely in the CPU's caches.
void BM_AuthorizerCachedEdDSA10kClients(benchmark::State& state) {
  Fixture f(jwt::Algorithm::kEdDSA, 10'000, AuthorizerOptions{}.tokenCacheCapacity);
  if (!f.ready(state)) return;
  std::size_t i = 0;
  for (auto _ : state) {
    auto id = f.authorizer->verifyToken(f.tokens[i]);
    benchmark::DoNotOptimize(id);
    if (++i == f.tokens.size()) i = 0;
  }
  label(state, f, "10,000 tokens, cache hits");
}
BENCHMARK(BM_AuthorizerCachedEdDSA10kClients);

void uncached(benchmark::State& state, jwt::Algorithm algorithm) {
  Fixture f(algorithm, kUncachedTokens, kTinyCache);
  if (!f.ready(state)) return;
  std::size_t i = 0;
  for (auto _ : state) {
    auto id = f.authorizer->verifyToken(f.tokens[i]);
    benchmark::DoNotOptimize(id);
    if (++i == f.tokens.size()) i = 0;
  }
  label(state, f, "1,024 tokens in turn, cache of 16");
}

void BM_AuthorizerUncachedEdDSA(benchmark::State& state) {
  uncached(state, jwt::Algorithm::kEdDSA);
}
BENCHMARK(BM_AuthorizerUncachedEdDSA);

void BM_AuthorizerUncachedRS256(benchmark::State& state) {
  uncached(state, jwt::Algorithm::kRS256);
}
BENCHMARK(BM_AuthorizerUncachedRS256);

void BM_AuthorizerUncachedHS256(benchmark::State& state) {
  uncached(state, jwt::Algorithm::kHS256);
}
BENCHMARK(BM_AuthorizerUncachedHS256);

// --- baselines: the same tokens without the authorizer ---

// core::jwt::verify (signature, then claims) of the same token, directly.
void direct(benchmark::State& state, jwt::Algorithm algorithm) {
  Fixture f(algorithm, 1, kTinyCache);
  if (!f.ready(state)) return;
  const std::string& token = f.tokens.front();
  auto keys = f.ring.verificationKeys();
  for (auto _ : state) {
    auto verified = jwt::verify(token, *keys, f.verifyOptions);
    benchmark::DoNotOptimize(verified);
  }
  label(state, f, "core::jwt::verify");
}

void BM_Baseline_RawEd25519Verify(benchmark::State& state) {
  direct(state, jwt::Algorithm::kEdDSA);
}
BENCHMARK(BM_Baseline_RawEd25519Verify);

void BM_Baseline_RawRS256Verify(benchmark::State& state) { direct(state, jwt::Algorithm::kRS256); }
BENCHMARK(BM_Baseline_RawRS256Verify);

void BM_Baseline_RawHS256Verify(benchmark::State& state) { direct(state, jwt::Algorithm::kHS256); }
BENCHMARK(BM_Baseline_RawHS256Verify);

// The Ed25519 signature check alone (Key::verifyBytes: libsodium), no parsing at all.
void BM_Baseline_Ed25519SignatureOnly(benchmark::State& state) {
  Fixture f(jwt::Algorithm::kEdDSA, 1, kTinyCache);
  if (!f.ready(state)) return;
  const std::string& token = f.tokens.front();
  std::size_t lastDot = token.rfind('.');
  std::string input = token.substr(0, lastDot);
  auto signature = jwt::base64UrlDecode(std::string_view(token).substr(lastDot + 1));
  auto keys = f.ring.verificationKeys();
  if (!signature || keys->keys().empty() || !keys->keys().back().verifyBytes(input, *signature)) {
    state.SkipWithError("the signature does not verify");
    return;
  }
  const jwt::Key& key = keys->keys().back();
  for (auto _ : state) {
    bool ok = key.verifyBytes(input, *signature);
    benchmark::DoNotOptimize(ok);
  }
  label(state, f, "libsodium Ed25519");
}
BENCHMARK(BM_Baseline_Ed25519SignatureOnly);

}  // namespace
}  // namespace bakery::gateway

BENCHMARK_MAIN();
