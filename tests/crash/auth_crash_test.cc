// Crash consistency of the auth capability: a real `bakery serve` (storage.sync = fsync) is
// killed with SIGKILL while client threads sign tenants up and rotate refresh tokens, then
// restarted on the same data directory, round after round. After every restart:
//   - every acknowledged sign-up's owner logs in, and every acknowledged access token (from
//     this round or an earlier one) still verifies on GET /v1/me: the signing keys survived,
//     and tokens issued now carry the same kid;
//   - every refresh chain whose last acknowledged token was not followed by an unanswered
//     request still rotates;
//   - no tenant is half-created: a slug whose sign-up got no answer either logs its owner in
//     (the sign-up committed) or is free again (a new sign-up with it succeeds); never taken
//     by a tenant nobody can log in to.
// A request that got no complete 2xx answer is unacknowledged and may or may not have been
// applied. The kill is triggered by a number of acknowledged operations, not by the clock.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "core/encoding.h"
#include "core/json.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

constexpr const char* kBakery = BAKERY_BIN_PATH;
// Cheap password hashes (the cost is configuration) and no sign-up or IP throttling: every
// request of the workload comes from 127.0.0.1.
constexpr const char* kConfig = R"({"storage": {"sync": "fsync"},
    "auth": {"passwordCost": {"iterations": 1, "memoryKiB": 1024},
             "signupsPerIpPerHour": 1000000, "ipFailuresBeforeLockout": 1000000}})";
constexpr const char* kPassword = "plum-kettle-93-orbit";
constexpr int kRounds = 4;
constexpr int kClients = 3;
constexpr int kAcksPerRound = 60;
constexpr std::chrono::milliseconds kRequestTimeout{10'000};

// An acknowledged sign-up.
struct Tenant {
  std::string slug;
  std::string tenantId;
  std::string userId;
};

// An acknowledged access token and whom it names.
struct AccessToken {
  std::string token;
  std::string tenantId;
  std::string userId;
};

// A refresh-token family as the client sees it: its user, the last acknowledged refresh
// token, and whether a later refresh request with it got no answer (its outcome is unknown).
struct RefreshChain {
  std::string tenantId;
  std::string userId;
  std::string token;
  bool inFlight = false;
};

// What one client thread saw in one round (only that thread touches it until the join).
struct ClientLog {
  std::vector<Tenant> tenants;
  std::vector<std::string> unansweredSlugs;
  std::vector<AccessToken> accessTokens;
  std::vector<RefreshChain> chains;
  std::vector<std::string> problems;
};

// Everything acknowledged so far, across rounds.
struct Ledger {
  std::vector<Tenant> tenants;
  std::vector<std::string> unansweredSlugs;  // not yet resolved by a check
  std::vector<AccessToken> accessTokens;
  std::vector<RefreshChain> chains;
  std::string kid;  // of the first acknowledged access token
};

std::string ownerEmail(const std::string& slug) { return "owner@" + slug + ".example.com"; }

std::string signUpBody(const std::string& slug) {
  return core::toJson(json::object{
      {"name", "Tenant " + slug},
      {"slug", slug},
      {"owner",
       json::object{{"email", ownerEmail(slug)}, {"password", kPassword}, {"name", "O"}}}});
}

std::string loginBody(const std::string& slug) {
  return core::toJson(
      json::object{{"tenant", slug}, {"email", ownerEmail(slug)}, {"password", kPassword}});
}

std::string refreshBody(const std::string& token) {
  return core::toJson(json::object{{"refreshToken", token}});
}

// The answer to one request, or nullopt when none arrived whole: the server died first.
std::optional<HttpResult> send(const std::string& method, const std::string& url,
                               std::optional<std::string> body, std::string bearer = {}) {
  HttpRequestSpec spec{.method = method, .url = url, .body = std::move(body)};
  spec.timeout = kRequestTimeout;
  if (spec.body) spec.headers.emplace_back("content-type", "application/json");
  if (!bearer.empty()) spec.headers.emplace_back("authorization", "Bearer " + bearer);
  try {
    return httpRequest(spec);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

json::value parse(const std::string& text) {
  auto parsed = core::parseJson(text, "response");
  if (!parsed) throw std::runtime_error(parsed.error().message());
  return std::move(*parsed);
}

// The string at `pointer`, or "" when there is none.
std::string at(const json::value& v, std::string_view pointer) {
  boost::system::error_code ec;
  const json::value* found = v.find_pointer(pointer, ec);
  return found != nullptr && found->is_string() ? std::string(found->get_string()) : "";
}

// Part `index` of a JWT (0: header, 1: claims), decoded.
json::value jwtPart(const std::string& jwt, std::size_t index) {
  std::size_t begin = 0;
  for (std::size_t i = 0; i < index; ++i) begin = jwt.find('.', begin) + 1;
  std::string part = jwt.substr(begin, jwt.find('.', begin) - begin);
  for (char& c : part) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (part.size() % 4 != 0) part += '=';
  auto decoded = core::base64Decode(part);
  if (!decoded) throw std::runtime_error("not a JWT: " + jwt);
  return parse(*decoded);
}

std::string kidOf(const std::string& jwt) { return at(jwtPart(jwt, 0), "/kid"); }

// The chain a token pair starts, and its access token, for the user named by its claims.
std::pair<RefreshChain, AccessToken> fromTokenPair(const json::value& pair) {
  AccessToken access{at(pair, "/accessToken"), {}, {}};
  json::value claims = jwtPart(access.token, 1);
  access.tenantId = at(claims, "/tenant");
  access.userId = at(claims, "/sub");
  return {{access.tenantId, access.userId, at(pair, "/refreshToken")}, access};
}

std::string describe(const HttpResult& r) { return std::to_string(r.status) + " " + r.body; }

// Starts `bakery serve` on a data directory that survives the process, so every restart
// reopens what the killed process left behind.
class DurableServer {
 public:
  explicit DurableServer(const TempDir& dir) : dataDir_(dir.path() + "/var") {}

  void start() {
    process_ =
        std::make_unique<ServerProcess>(kBakery, kConfig, std::vector<std::string>{}, dataDir_);
  }
  // SIGKILL, and waits until the process is gone.
  void kill() {
    process_->signal(SIGKILL);
    process_->waitExit(std::chrono::seconds(20));
  }
  std::string url(std::string_view path) const { return process_->url(path); }
  std::string stderrText() { return process_ ? process_->stderrText() : ""; }

 private:
  std::string dataDir_;
  std::unique_ptr<ServerProcess> process_;
};

// The acknowledgement count that triggers the kill, and the stop flag of the client threads.
class RoundLoad {
 public:
  void acknowledged() {
    std::lock_guard lock(mu_);
    if (++acks_ >= kAcksPerRound) reached_.notify_all();
  }
  // A complete answer other than success: there is no excuse for one, killed or not.
  void problem() {
    std::lock_guard lock(mu_);
    ++problems_;
    reached_.notify_all();
  }
  // True when the kill point was reached without a problem; the bound only guards against
  // a server that stopped answering.
  bool waitForKillPoint(std::chrono::seconds bound) {
    std::unique_lock lock(mu_);
    return reached_.wait_for(lock, bound, [&] { return acks_ >= kAcksPerRound || problems_ > 0; });
  }
  bool stopped() const { return stop_.load(); }
  void stop() { stop_.store(true); }
  int acks() {
    std::lock_guard lock(mu_);
    return acks_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable reached_;
  int acks_ = 0;
  int problems_ = 0;
};

// One client: alternates sign-ups (fresh slugs) with rotations of the refresh chains it owns.
// Runs until told to stop or until a request gets no answer: from then on the server is
// presumably gone, and every further request would only add unknowns.
void runClient(const DurableServer& server, RoundLoad& load, int round, int client,
               ClientLog& log) {
  std::size_t nextChain = 0;
  for (int n = 0; !load.stopped(); ++n) {
    RefreshChain* chain = nullptr;
    if (n % 2 == 1) {
      for (std::size_t i = 0; i < log.chains.size() && chain == nullptr; ++i) {
        RefreshChain& c = log.chains[(nextChain + i) % log.chains.size()];
        if (!c.inFlight) chain = &c;
      }
      ++nextChain;
    }
    if (chain == nullptr) {
      std::string slug =
          "r" + std::to_string(round) + "-c" + std::to_string(client) + "-" + std::to_string(n);
      auto r = send("POST", server.url("/v1/tenants"), signUpBody(slug));
      if (!r) {
        log.unansweredSlugs.push_back(slug);
        return;
      }
      if (r->status != 201) {
        log.problems.push_back("sign-up " + slug + ": " + describe(*r));
        load.problem();
        continue;
      }
      auto b = parse(r->body);
      Tenant t{slug, at(b, "/tenant/id"), at(b, "/user/id")};
      log.accessTokens.push_back({at(b, "/accessToken"), t.tenantId, t.userId});
      log.chains.push_back({t.tenantId, t.userId, at(b, "/refreshToken")});
      log.tenants.push_back(std::move(t));
      load.acknowledged();
      continue;
    }
    chain->inFlight = true;
    auto r = send("POST", server.url("/v1/auth/refresh"), refreshBody(chain->token));
    if (!r) return;  // unknown: the rotation may have committed
    chain->inFlight = false;
    if (r->status != 200) {
      log.problems.push_back("refresh: " + describe(*r));
      load.problem();
      chain->inFlight = true;  // its state is unexplained: leave it alone
      continue;
    }
    auto b = parse(r->body);
    chain->token = at(b, "/refreshToken");
    log.accessTokens.push_back({at(b, "/accessToken"), chain->tenantId, chain->userId});
    load.acknowledged();
  }
}

// Violations found by one check, reported together (with the first few spelled out).
class Violations {
 public:
  explicit Violations(std::string what) : what_(std::move(what)) {}
  ~Violations() {
    std::ostringstream text;
    for (std::size_t i = 0; i < items_.size() && i < 10; ++i) text << "\n  " << items_[i];
    EXPECT_TRUE(items_.empty()) << items_.size() << " " << what_ << ":" << text.str();
  }
  void add(std::string item) { items_.push_back(std::move(item)); }

 private:
  std::string what_;
  std::vector<std::string> items_;
};

// The checks after a restart. They acknowledge more (log-ins, rotations, sign-ups of freed
// slugs), which the ledger keeps for the next rounds.
void checkAfterRestart(DurableServer& server, Ledger& ledger, int round) {
  std::string tag = "after kill " + std::to_string(round) + ": ";

  // The signing keys survived: the key of the acknowledged tokens is still published and
  // still signs.
  {
    Violations v(tag + "signing-key problems");
    auto jwks = send("GET", server.url("/.well-known/jwks.json"), std::nullopt);
    std::set<std::string> published;
    if (!jwks || jwks->status != 200) {
      v.add("GET /.well-known/jwks.json: " + (jwks ? describe(*jwks) : "no answer"));
    } else {
      json::value doc = parse(jwks->body);
      for (const auto& key : doc.at("keys").as_array()) {
        published.insert(std::string(key.at("kid").as_string()));
      }
    }
    if (!published.contains(ledger.kid)) v.add("kid " + ledger.kid + " is no longer published");
  }

  // Every acknowledged access token still verifies and names its user and tenant.
  {
    Violations v(tag + "acknowledged access tokens that no longer verify");
    for (const AccessToken& t : ledger.accessTokens) {
      auto r = send("GET", server.url("/v1/me"), std::nullopt, t.token);
      if (!r || r->status != 200) {
        v.add("GET /v1/me: " + (r ? describe(*r) : "no answer") + " (kid " + kidOf(t.token) +
              ", user " + t.userId + ")");
        continue;
      }
      auto b = parse(r->body);
      std::string userId = at(b, "/user/id");
      std::string tenantId = at(b, "/tenant/id");
      if (userId != t.userId || tenantId != t.tenantId) {
        v.add("GET /v1/me names " + userId + "@" + tenantId + ", the token was issued to " +
              t.userId + "@" + t.tenantId);
      }
    }
  }

  // Every acknowledged sign-up's owner logs in, with a token of the same signing key.
  {
    Violations v(tag + "acknowledged sign-ups whose owner cannot log in");
    for (const Tenant& t : ledger.tenants) {
      auto r = send("POST", server.url("/v1/auth/login"), loginBody(t.slug));
      if (!r || r->status != 200) {
        v.add(t.slug + ": " + (r ? describe(*r) : "no answer"));
        continue;
      }
      std::string kid = kidOf(at(parse(r->body), "/accessToken"));
      if (kid != ledger.kid) v.add(t.slug + ": a new token has kid " + kid + ", not " + ledger.kid);
    }
  }

  // No half-created tenant: a slug whose sign-up got no answer either committed whole (its
  // owner logs in) or not at all (the slug is free). A slug that is taken (409) although its
  // owner cannot log in is a tenant claimed but never written, and the slug is lost for good.
  {
    Violations v(tag + "slugs left half-created by an unanswered sign-up");
    for (const std::string& slug : ledger.unansweredSlugs) {
      auto login = send("POST", server.url("/v1/auth/login"), loginBody(slug));
      if (!login) throw std::runtime_error("the server stopped answering: " + server.stderrText());
      std::optional<HttpResult> signUp;
      if (login->status == 200) {
        auto [chain, access] = fromTokenPair(parse(login->body));
        ledger.tenants.push_back({slug, access.tenantId, access.userId});
        ledger.accessTokens.push_back(std::move(access));
        ledger.chains.push_back(std::move(chain));
        continue;
      }
      if (login->status != 401) {
        v.add(slug + ": log-in answered " + describe(*login));
        continue;
      }
      signUp = send("POST", server.url("/v1/tenants"), signUpBody(slug));
      if (!signUp) throw std::runtime_error("the server stopped answering: " + server.stderrText());
      if (signUp->status == 201) {
        auto [chain, access] = fromTokenPair(parse(signUp->body));
        ledger.tenants.push_back({slug, access.tenantId, access.userId});
        ledger.accessTokens.push_back(std::move(access));
        ledger.chains.push_back(std::move(chain));
        continue;
      }
      v.add(slug + ": the owner cannot log in (401), yet a new sign-up answers " +
            describe(*signUp));
    }
    ledger.unansweredSlugs.clear();
  }

  // Refresh chains. A chain with nothing in flight must rotate. A chain whose last request got
  // no answer is in doubt, and may legitimately be dead: if that request committed, the
  // acknowledged token is spent, and presenting it again is a reuse, which revokes the whole
  // family (401). That is the known consequence of rotation, so only 200 or 401 is allowed
  // there; either way the chain's state is known again afterwards.
  {
    Violations v(tag + "refresh chains that no longer rotate");
    std::vector<RefreshChain> alive;
    int inDoubt = 0, revoked = 0;
    for (RefreshChain& c : ledger.chains) {
      auto r = send("POST", server.url("/v1/auth/refresh"), refreshBody(c.token));
      if (!r) throw std::runtime_error("the server stopped answering: " + server.stderrText());
      if (c.inFlight) ++inDoubt;
      if (r->status == 200) {
        auto b = parse(r->body);
        ledger.accessTokens.push_back({at(b, "/accessToken"), c.tenantId, c.userId});
        alive.push_back({c.tenantId, c.userId, at(b, "/refreshToken")});
      } else if (c.inFlight && r->status == 401) {
        ++revoked;
      } else {
        v.add(std::string(c.inFlight ? "in doubt" : "nothing in flight") + ": " + describe(*r));
      }
    }
    std::printf("%s%zu chains, %d in doubt of which %d were spent by their unanswered request\n",
                tag.c_str(), ledger.chains.size(), inDoubt, revoked);
    ledger.chains = std::move(alive);
  }
}

TEST(AuthCrashTest, AcknowledgedSignUpsTokensAndRotationsSurviveRepeatedKills) {
  TempDir dir("bakery-auth-crash");
  DurableServer server(dir);
  server.start();
  Ledger ledger;

  for (int round = 0; round < kRounds; ++round) {
    std::vector<ClientLog> logs(kClients);
    for (std::size_t i = 0; i < ledger.chains.size(); ++i) {
      logs[i % kClients].chains.push_back(std::move(ledger.chains[i]));
    }
    ledger.chains.clear();
    RoundLoad load;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back(runClient, std::cref(server), std::ref(load), round, c,
                           std::ref(logs[static_cast<std::size_t>(c)]));
    }
    bool reached = load.waitForKillPoint(std::chrono::seconds(60));
    server.kill();
    load.stop();
    for (std::thread& t : clients) t.join();

    std::size_t unanswered = 0;
    for (ClientLog& log : logs) {
      for (const std::string& p : log.problems) ADD_FAILURE() << "round " << round << ": " << p;
      for (Tenant& t : log.tenants) ledger.tenants.push_back(std::move(t));
      for (std::string& s : log.unansweredSlugs) ledger.unansweredSlugs.push_back(std::move(s));
      for (AccessToken& t : log.accessTokens) ledger.accessTokens.push_back(std::move(t));
      for (RefreshChain& c : log.chains) {
        if (c.inFlight) ++unanswered;
        ledger.chains.push_back(std::move(c));
      }
    }
    ASSERT_TRUE(reached && load.acks() >= kAcksPerRound)
        << "round " << round << ": the server did not take the load: " << server.stderrText();
    ASSERT_FALSE(ledger.accessTokens.empty());
    if (ledger.kid.empty()) ledger.kid = kidOf(ledger.accessTokens.front().token);
    std::printf("round %d: %d acknowledged, %zu sign-ups and %zu refreshes unanswered\n", round,
                load.acks(), ledger.unansweredSlugs.size(), unanswered);

    server.start();
    checkAfterRestart(server, ledger, round);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf("%zu tenants, %zu access tokens, %zu live refresh chains at the end\n",
              ledger.tenants.size(), ledger.accessTokens.size(), ledger.chains.size());
}

}  // namespace
}  // namespace bakery::testing
