// The auth capability's functions end to end in one process: the real table engine and bus
// (on a temporary RocksDB), a fake clock, and an Ed25519 TokenIssuer. Requests are payload
// 2.0 events; a route with an identity gets the Identity the gateway would derive from the
// access token (verified here with core::jwt). The HTTP path through `bakery serve` is tested
// in tests/integration.
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <bakery/bus.h>
#include <bakery/context.h>
#include <bakery/function.h>
#include <bakery/tokens.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/jwt.h"
#include "handlers/auth/auth.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/bus/engine/engine_bus.h"
#include "platform/bus/engine/recording_sinks.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/engine_tables.h"
#include "platform/table/engine/table_engine.h"
#include "support/temp_dir.h"

namespace bakery::handlers::auth {
namespace {

using std::chrono::seconds;

class TestIssuer final : public TokenIssuer {
 public:
  TestIssuer() : key_(core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, "k1").value()) {
    keys_.add(key_);
  }
  core::Result<std::string> sign(const json::object& claims) override {
    return core::jwt::sign(key_, claims);
  }
  json::object jwks() const override { return keys_.publicJwks(); }
  const std::string& issuer() const override { return issuer_; }
  const std::string& audience() const override { return audience_; }
  std::string_view algorithm() const override { return "EdDSA"; }
  std::chrono::seconds accessTokenLifetime() const override { return seconds(900); }
  const core::jwt::KeySet& keys() const { return keys_; }

 private:
  core::jwt::Key key_;
  core::jwt::KeySet keys_;
  std::string issuer_ = "https://bakery.test";
  std::string audience_ = "bakery";
};

// Records the events a function commits, after the wrapped bus accepted them.
struct EventLog {
  std::vector<std::pair<std::string, EventEntry>> events;  // tenant, entry
};

class RecordingBus final : public Bus {
 public:
  RecordingBus(std::unique_ptr<Bus> inner, std::string tenant, EventLog& log)
      : inner_(std::move(inner)), tenant_(std::move(tenant)), log_(log) {}
  core::Result<std::vector<PutEventResult>> put(const std::vector<EventEntry>& entries) override {
    auto r = inner_->put(entries);
    if (r) record(entries);
    return r;
  }
  core::Result<std::vector<PutEventResult>> putWithWrites(
      const std::vector<table::TransactionAction>& actions,
      const std::vector<EventEntry>& entries) override {
    auto r = inner_->putWithWrites(actions, entries);
    if (r) record(entries);
    return r;
  }

 private:
  void record(const std::vector<EventEntry>& entries) {
    for (const auto& e : entries) log_.events.emplace_back(tenant_, e);
  }
  std::unique_ptr<Bus> inner_;
  std::string tenant_;
  EventLog& log_;
};

class TestContext final : public Context {
 public:
  TestContext(table::engine::TableEngine& tables, bus::BusEngine& bus, EventLog& log,
              std::optional<Identity> identity)
      : tables_(tables), bus_(bus), log_(log), identity_(std::move(identity)) {}

  std::string_view requestId() const override { return "req-1"; }
  std::string_view functionName() const override { return "auth.api"; }
  const TraceContext& trace() const override { return trace_; }
  std::chrono::milliseconds remaining() const override { return std::chrono::seconds(10); }
  std::optional<std::string_view> env(std::string_view) const override { return std::nullopt; }
  void log(LogLevel, std::string_view, json::object) override {}
  table::Tables& tables() override { return tablesOf(identity_ ? identity_->tenant : ""); }
  Bus& bus() override { return busOf(identity_ ? identity_->tenant : ""); }
  const Identity* identity() const override { return identity_ ? &*identity_ : nullptr; }
  table::Tables& tablesOf(std::string_view tenant) override {
    auto& slot = scopes_[std::string(tenant)];
    if (!slot) slot = std::make_unique<table::engine::EngineTables>(tables_, std::string(tenant));
    return *slot;
  }
  Bus& busOf(std::string_view tenant) override {
    auto& slot = buses_[std::string(tenant)];
    if (!slot) {
      slot = std::make_unique<RecordingBus>(
          std::make_unique<bus::EngineBus>(bus_, &tables_, std::string(tenant)),
          std::string(tenant), log_);
    }
    return *slot;
  }

 private:
  table::engine::TableEngine& tables_;
  bus::BusEngine& bus_;
  EventLog& log_;
  std::optional<Identity> identity_;
  TraceContext trace_;
  std::map<std::string, std::unique_ptr<table::Tables>> scopes_;
  std::map<std::string, std::unique_ptr<Bus>> buses_;
};

class CapturingRegistry final : public FunctionRegistry {
 public:
  void add(FunctionSpec spec) override {
    std::string name = spec.name;
    functions.emplace(name, std::move(spec));
  }
  void addTable(TableSpec spec) override { tables.push_back(std::move(spec)); }
  std::map<std::string, FunctionSpec> functions;
  std::vector<TableSpec> tables;
};

struct Response {
  int status = 0;
  json::object headers;
  json::value body;
  std::string errorType() const {
    if (!body.is_object() || !body.as_object().contains("error")) return {};
    return std::string(body.at("error").at("type").as_string());
  }
  std::string str(std::string_view key) const { return std::string(body.at(key).as_string()); }
};

class AuthFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone}).value();
    tables_ = std::make_unique<table::engine::TableEngine>(*storage_, clock_, ids_);
    ASSERT_TRUE(tables_->open().ok());
    bus::BusOptions busOptions;
    busOptions.startDispatcher = false;
    bus_ = std::make_unique<bus::BusEngine>(*storage_, clock_, ids_, sinks_, busOptions);
    ASSERT_TRUE(bus_->open().ok());

    AuthOptions options;
    options.issuer = &issuer_;
    options.clock = &clock_;
    options.passwordCost = {1, 64};  // cheap hashes: the tests are about behaviour
    options.accountFailuresBeforeLockout = 3;
    wire(registry_, options);
    for (const auto& spec : registry_.tables) {
      json::array definitions{
          json::object{{"AttributeName", spec.partitionKey.name}, {"AttributeType", "S"}}};
      json::array schema{
          json::object{{"AttributeName", spec.partitionKey.name}, {"KeyType", "HASH"}}};
      if (spec.sortKey) {
        definitions.push_back(
            json::object{{"AttributeName", spec.sortKey->name}, {"AttributeType", "S"}});
        schema.push_back(json::object{{"AttributeName", spec.sortKey->name}, {"KeyType", "RANGE"}});
      }
      auto created = tables_->call("", table::Operation::kCreateTable,
                                   json::object{{"TableName", spec.name},
                                                {"BillingMode", "PAY_PER_REQUEST"},
                                                {"AttributeDefinitions", definitions},
                                                {"KeySchema", schema}});
      ASSERT_TRUE(created.ok()) << created.error().message();
    }
  }

  // The Identity the gateway derives from one of our access tokens.
  Identity identityOf(const std::string& accessToken) {
    core::jwt::VerifyOptions vo;
    vo.now = clock_.wallNow();
    vo.issuer = issuer_.issuer();
    vo.audience = issuer_.audience();
    auto verified = core::jwt::verify(accessToken, issuer_.keys(), vo);
    EXPECT_TRUE(verified.ok()) << verified.error().message();
    Identity id;
    const auto& c = verified->claims;
    id.tenant = std::string(c.at("tenant").as_string());
    id.subject = std::string(c.at("sub").as_string());
    for (const auto& r : c.at("roles").as_array()) id.roles.emplace_back(r.as_string());
    std::istringstream scopes{std::string(c.at("scope").as_string())};
    for (std::string s; scopes >> s;) id.scopes.push_back(s);
    id.issuer = issuer_.issuer();
    return id;
  }

  Response call(const std::string& routeKey, const json::value& body,
                const std::optional<Identity>& identity = std::nullopt,
                json::object pathParameters = {}, json::object query = {},
                std::string sourceIp = "203.0.113.7") {
    json::object event{
        {"version", "2.0"},
        {"routeKey", routeKey},
        {"rawPath", "/"},
        {"headers", json::object{{"host", "auth.example.com"}, {"x-forwarded-proto", "https"}}},
        {"requestContext",
         json::object{
             {"requestId", "req-1"},
             {"http", json::object{{"method", "POST"}, {"path", "/"}, {"sourceIp", sourceIp}}}}},
        {"isBase64Encoded", false}};
    if (!body.is_null()) {
      event["body"] = body.is_string() ? std::string(body.as_string()) : core::toJson(body);
    }
    if (!pathParameters.empty()) event["pathParameters"] = std::move(pathParameters);
    if (!query.empty()) event["queryStringParameters"] = std::move(query);
    TestContext ctx(*tables_, *bus_, events_, identity);
    json::value out = registry_.functions.at("auth.api").handler(json::value(event), ctx);
    Response r;
    r.status = static_cast<int>(out.at("statusCode").to_number<std::int64_t>());
    r.headers = out.at("headers").as_object();
    std::string_view text = out.at("body").as_string();
    if (!text.empty()) r.body = core::parseJson(text, "body").value();
    return r;
  }

  json::value authorize(const std::string& key) {
    json::object event{{"version", "2.0"},
                       {"type", "REQUEST"},
                       {"identitySource", json::array{key}},
                       {"routeKey", "GET /v1/me"},
                       {"rawPath", "/v1/me"}};
    TestContext ctx(*tables_, *bus_, events_, std::nullopt);
    return registry_.functions.at(kAuthorizerFunction).handler(json::value(event), ctx);
  }

  Response signUp(const std::string& slug, const std::string& email = "ada@example.com") {
    return call("POST /v1/tenants",
                json::object{{"name", "Acme " + slug},
                             {"slug", slug},
                             {"owner", json::object{{"email", email},
                                                    {"password", "plum-kettle-93-orbit"},
                                                    {"name", "Ada"}}}});
  }

  Response login(const std::string& slug, const std::string& email, const std::string& password,
                 std::string ip = "203.0.113.7") {
    return call("POST /v1/auth/login",
                json::object{{"tenant", slug}, {"email", email}, {"password", password}},
                std::nullopt, {}, {}, std::move(ip));
  }

  // Events of a tenant's bus (the audit trail).
  std::vector<json::object> eventsOf(std::string_view detailType) {
    std::vector<json::object> out;
    for (const auto& [tenant, e] : events_.events) {
      if (!tenant.empty() && e.detailType == detailType) out.push_back(e.detail.as_object());
    }
    return out;
  }
  // Events of the system bus: deliveries of one-time tokens.
  std::vector<json::object> deliveriesOf(std::string_view detailType) {
    std::vector<json::object> out;
    for (const auto& [tenant, e] : events_.events) {
      if (tenant.empty() && e.detailType == detailType) out.push_back(e.detail.as_object());
    }
    return out;
  }

  testing::TempDir dir_;
  core::ManualClock clock_;
  core::RandomIdGenerator ids_;
  bus::RecordingSinks sinks_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<table::engine::TableEngine> tables_;
  std::unique_ptr<bus::BusEngine> bus_;
  TestIssuer issuer_;
  CapturingRegistry registry_;
  EventLog events_;
};

TEST_F(AuthFlowTest, SignUpReturnsTheTenantTheOwnerAndATokenPair) {
  auto r = signUp("acme");
  ASSERT_EQ(r.status, 201) << core::toJson(r.body);
  EXPECT_EQ(r.body.at("tenant").at("slug").as_string(), "acme");
  EXPECT_EQ(r.body.at("user").at("email").as_string(), "ada@example.com");
  EXPECT_EQ(r.body.at("user").at("roles"), (json::array{"owner"}));
  EXPECT_EQ(r.body.at("tokenType").as_string(), "Bearer");
  EXPECT_EQ(r.body.at("expiresIn").as_int64(), 900);
  EXPECT_TRUE(r.str("refreshToken").starts_with("rt_"));
  Identity id = identityOf(r.str("accessToken"));
  EXPECT_EQ(id.tenant, r.body.at("tenant").at("id").as_string());
  EXPECT_TRUE(id.hasScope("tenant:admin"));
  ASSERT_EQ(eventsOf("auth.tenant_signed_up").size(), 1u);
}

TEST_F(AuthFlowTest, SignUpRefusesATakenSlugAndBadInputNamingTheField) {
  ASSERT_EQ(signUp("acme").status, 201);
  auto again = signUp("acme", "bob@example.com");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.errorType(), "ConflictException");

  auto weak =
      call("POST /v1/tenants", json::object{{"name", "X"},
                                            {"slug", "xco"},
                                            {"owner", json::object{{"email", "a@x.io"},
                                                                   {"password", "Password1234"},
                                                                   {"name", "A"}}}});
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.body.at("error").at("field").as_string(), "owner.password");

  auto malformed = call("POST /v1/tenants", json::value("{not json"));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body.at("error").at("field").as_string(), "body");

  auto unknown = call("POST /v1/tenants", json::object{{"name", "X"}, {"isAdmin", true}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body.at("error").at("field").as_string(), "isAdmin");

  auto badSlug = signUp("-bad-");
  EXPECT_EQ(badSlug.status, 400);
  EXPECT_EQ(badSlug.body.at("error").at("field").as_string(), "slug");
}

TEST_F(AuthFlowTest, SignUpsPerSourceIpAreLimited) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(signUp("tenant-" + std::to_string(i)).status, 201);
  auto r = signUp("tenant-10");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.errorType(), "TooManyRequestsException");
  EXPECT_GE(std::stoi(std::string(r.headers.at("retry-after").as_string())), 1);
}

TEST_F(AuthFlowTest, LogInFailuresAreUniformAndLockOutExponentially) {
  ASSERT_EQ(signUp("acme").status, 201);
  auto ok = login("acme", "ADA@example.com", "plum-kettle-93-orbit");
  ASSERT_EQ(ok.status, 200) << core::toJson(ok.body);

  auto wrongPassword = login("acme", "ada@example.com", "wrong-password-123");
  auto unknownUser = login("acme", "eve@example.com", "wrong-password-123", "198.51.100.1");
  auto unknownTenant = login("nope", "ada@example.com", "wrong-password-123", "198.51.100.2");
  for (const auto* r : {&wrongPassword, &unknownUser, &unknownTenant}) {
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->errorType(), "InvalidCredentialsException");
    EXPECT_EQ(r->body.at("error").at("message").as_string(), "Invalid credentials");
  }
  // Three failures lock the account for a second, before any password is checked.
  EXPECT_EQ(login("acme", "ada@example.com", "wrong-password-123").status, 401);
  EXPECT_EQ(login("acme", "ada@example.com", "wrong-password-123").status, 401);
  auto locked = login("acme", "ada@example.com", "plum-kettle-93-orbit");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.headers.at("retry-after").as_string(), "1");
  clock_.advance(seconds(2));
  EXPECT_EQ(login("acme", "ada@example.com", "wrong-password-123").status, 401);
  auto longer = login("acme", "ada@example.com", "plum-kettle-93-orbit");
  EXPECT_EQ(longer.status, 429);
  EXPECT_EQ(longer.headers.at("retry-after").as_string(), "2");
  clock_.advance(seconds(3));
  EXPECT_EQ(login("acme", "ada@example.com", "plum-kettle-93-orbit").status, 200);
  EXPECT_FALSE(eventsOf("auth.login_failed").empty());
  EXPECT_FALSE(eventsOf("auth.lockout").empty());
  for (const auto& e : eventsOf("auth.login_failed")) {
    EXPECT_EQ(core::toJson(e).find("wrong-password"), std::string::npos);
  }
}

TEST_F(AuthFlowTest, RefreshRotatesAndReuseRevokesTheFamily) {
  auto up = signUp("acme");
  ASSERT_EQ(up.status, 201);
  std::string first = up.str("refreshToken");
  auto second = call("POST /v1/auth/refresh", json::object{{"refreshToken", first}});
  ASSERT_EQ(second.status, 200) << core::toJson(second.body);
  std::string next = second.str("refreshToken");
  EXPECT_NE(next, first);
  identityOf(second.str("accessToken"));

  auto reused = call("POST /v1/auth/refresh", json::object{{"refreshToken", first}});
  EXPECT_EQ(reused.status, 401);
  EXPECT_EQ(eventsOf("auth.refresh_token_reused").size(), 1u);
  // The whole family is gone: the newest token stops working too.
  EXPECT_EQ(call("POST /v1/auth/refresh", json::object{{"refreshToken", next}}).status, 401);
  EXPECT_EQ(call("POST /v1/auth/refresh", json::object{{"refreshToken", "rt_garbage"}}).status,
            401);
}

TEST_F(AuthFlowTest, LogoutEndsTheSessionAndLogoutAllEndsEveryOne) {
  ASSERT_EQ(signUp("acme").status, 201);
  auto a = login("acme", "ada@example.com", "plum-kettle-93-orbit");
  auto b = login("acme", "ada@example.com", "plum-kettle-93-orbit");
  EXPECT_EQ(
      call("POST /v1/auth/logout", json::object{{"refreshToken", a.str("refreshToken")}}).status,
      204);
  EXPECT_EQ(
      call("POST /v1/auth/refresh", json::object{{"refreshToken", a.str("refreshToken")}}).status,
      401);
  auto stillB =
      call("POST /v1/auth/refresh", json::object{{"refreshToken", b.str("refreshToken")}});
  ASSERT_EQ(stillB.status, 200);
  EXPECT_EQ(call("POST /v1/auth/logout-all", nullptr, identityOf(stillB.str("accessToken"))).status,
            204);
  EXPECT_EQ(
      call("POST /v1/auth/refresh", json::object{{"refreshToken", stillB.str("refreshToken")}})
          .status,
      401);
}

TEST_F(AuthFlowTest, InvitationTokenTravelsInTheEventOnlyAndAcceptingMakesAUser) {
  auto up = signUp("acme");
  Identity owner = identityOf(up.str("accessToken"));
  auto invite = call("POST /v1/users/invitations",
                     json::object{{"email", "bob@example.com"}, {"role", "member"}}, owner);
  ASSERT_EQ(invite.status, 201) << core::toJson(invite.body);
  std::string token = invite.str("invitationToken");
  auto created = deliveriesOf("auth.invitation_created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].at("token").as_string(), token);
  // The tenant's audit event has no token.
  ASSERT_EQ(eventsOf("auth.invitation_created").size(), 1u);
  EXPECT_FALSE(eventsOf("auth.invitation_created")[0].contains("token"));

  auto audit = call("GET /v1/audit", nullptr, owner);
  ASSERT_EQ(audit.status, 200);
  std::string rows = core::toJson(audit.body);
  EXPECT_EQ(rows.find(token), std::string::npos);
  EXPECT_NE(rows.find("invitation_created"), std::string::npos);

  auto weak = call("POST /v1/invitations/accept",
                   json::object{{"token", token}, {"password", "short"}, {"name", "Bob"}});
  EXPECT_EQ(weak.status, 400);
  auto accepted =
      call("POST /v1/invitations/accept", json::object{{"token", token},
                                                       {"password", "another-long-passphrase"},
                                                       {"name", "'; DROP TABLE users; --"}});
  ASSERT_EQ(accepted.status, 201) << core::toJson(accepted.body);
  EXPECT_EQ(accepted.body.at("user").at("roles"), (json::array{"member"}));
  auto again = call(
      "POST /v1/invitations/accept",
      json::object{{"token", token}, {"password", "another-long-passphrase"}, {"name", "Bob"}});
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.errorType(), "InvalidTokenException");

  auto users = call("GET /v1/users", nullptr, owner, {}, json::object{{"limit", "1"}});
  ASSERT_EQ(users.status, 200);
  ASSERT_EQ(users.body.at("items").as_array().size(), 1u);
  ASSERT_TRUE(users.body.as_object().contains("nextToken"));
  auto rest = call("GET /v1/users", nullptr, owner, {},
                   json::object{{"nextToken", users.body.at("nextToken")}});
  ASSERT_EQ(rest.status, 200);
  std::string all = core::toJson(users.body) + core::toJson(rest.body);
  EXPECT_NE(all.find("'; DROP TABLE users; --"), std::string::npos);
}

TEST_F(AuthFlowTest, RoleRulesAndTheLastOwnerHold) {
  auto up = signUp("acme");
  Identity owner = identityOf(up.str("accessToken"));
  auto invite = call("POST /v1/users/invitations",
                     json::object{{"email", "bob@example.com"}, {"role", "admin"}}, owner);
  auto bob =
      call("POST /v1/invitations/accept", json::object{{"token", invite.str("invitationToken")},
                                                       {"password", "another-long-passphrase"},
                                                       {"name", "Bob"}});
  ASSERT_EQ(bob.status, 201);
  Identity admin = identityOf(bob.str("accessToken"));
  json::object bobId{{"id", admin.subject}};
  json::object ownerId{{"id", owner.subject}};

  auto selfRaise =
      call("PATCH /v1/users/{id}", json::object{{"roles", json::array{"owner"}}}, admin, bobId);
  EXPECT_EQ(selfRaise.status, 403);
  EXPECT_EQ(selfRaise.errorType(), "AccessDeniedException");
  auto demoteOwner =
      call("PATCH /v1/users/{id}", json::object{{"roles", json::array{"member"}}}, admin, ownerId);
  EXPECT_EQ(demoteOwner.status, 403);
  auto lastOwner =
      call("PATCH /v1/users/{id}", json::object{{"roles", json::array{"admin"}}}, owner, ownerId);
  EXPECT_EQ(lastOwner.status, 409);
  EXPECT_EQ(call("DELETE /v1/users/{id}", nullptr, owner, ownerId).status, 409);

  auto promote =
      call("PATCH /v1/users/{id}", json::object{{"roles", json::array{"owner"}}}, owner, bobId);
  ASSERT_EQ(promote.status, 200) << core::toJson(promote.body);
  // Bob's next access token carries his current roles.
  auto refreshed =
      call("POST /v1/auth/refresh", json::object{{"refreshToken", bob.str("refreshToken")}});
  ASSERT_EQ(refreshed.status, 200);
  EXPECT_TRUE(identityOf(refreshed.str("accessToken")).hasRole("owner"));
  // Now there are two owners: one may step down.
  EXPECT_EQ(
      call("PATCH /v1/users/{id}", json::object{{"roles", json::array{"admin"}}}, owner, ownerId)
          .status,
      200);
  EXPECT_FALSE(eventsOf("auth.role_changed").empty());

  auto disabled = call("PATCH /v1/users/{id}", json::object{{"disabled", true}}, owner, bobId);
  EXPECT_EQ(disabled.status, 409);  // bob is now the last enabled owner
}

TEST_F(AuthFlowTest, AnotherTenantsUsersAreNotFound) {
  Identity a = identityOf(signUp("acme").str("accessToken"));
  Identity b = identityOf(signUp("globex", "bea@example.com").str("accessToken"));
  auto r = call("PATCH /v1/users/{id}", json::object{{"disabled", true}}, b,
                json::object{{"id", a.subject}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.errorType(), "ResourceNotFoundException");
  EXPECT_EQ(call("DELETE /v1/users/{id}", nullptr, b, json::object{{"id", a.subject}}).status, 404);
}

TEST_F(AuthFlowTest, ApiKeysAuthorizeUntilRevoked) {
  Identity owner = identityOf(signUp("acme").str("accessToken"));
  auto created = call("POST /v1/api-keys",
                      json::object{{"name", "ci"}, {"scopes", json::array{"data:read"}}}, owner);
  ASSERT_EQ(created.status, 201) << core::toJson(created.body);
  std::string key = created.str("key");
  EXPECT_TRUE(key.starts_with(created.str("prefix") + "_"));

  auto ok = authorize(key);
  EXPECT_EQ(ok.at("isAuthorized").as_bool(), true);
  EXPECT_EQ(ok.at("context").at("tenant").as_string(), owner.tenant);
  EXPECT_EQ(ok.at("context").at("scopes"), (json::array{"data:read"}));
  EXPECT_EQ(authorize(key + "x").at("isAuthorized").as_bool(), false);
  EXPECT_EQ(authorize("bk_nonsense").at("isAuthorized").as_bool(), false);

  auto list = call("GET /v1/api-keys", nullptr, owner);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(core::toJson(list.body).find(key), std::string::npos);

  auto tooLate = call("POST /v1/api-keys",
                      json::object{{"name", "x"},
                                   {"scopes", json::array{"data:read"}},
                                   {"expiresAt", "2099-01-01T00:00:00Z"}},
                      owner);
  EXPECT_EQ(tooLate.status, 400);
  EXPECT_EQ(tooLate.body.at("error").at("field").as_string(), "expiresAt");

  std::string id = created.str("id");
  EXPECT_EQ(call("DELETE /v1/api-keys/{id}", nullptr, owner, json::object{{"id", id}}).status, 204);
  EXPECT_EQ(authorize(key).at("isAuthorized").as_bool(), false);
  EXPECT_EQ(call("DELETE /v1/api-keys/{id}", nullptr, owner, json::object{{"id", id}}).status, 404);
}

TEST_F(AuthFlowTest, PasswordResetAlwaysAcceptsAndRevokesSessions) {
  auto up = signUp("acme");
  auto unknown = call("POST /v1/auth/password-reset",
                      json::object{{"tenant", "acme"}, {"email", "nobody@example.com"}});
  EXPECT_EQ(unknown.status, 202);
  auto noTenant = call("POST /v1/auth/password-reset",
                       json::object{{"tenant", "nope"}, {"email", "ada@example.com"}});
  EXPECT_EQ(noTenant.status, 202);
  EXPECT_TRUE(deliveriesOf("auth.password_reset_requested").empty());

  auto known = call("POST /v1/auth/password-reset",
                    json::object{{"tenant", "acme"}, {"email", "ada@example.com"}});
  EXPECT_EQ(known.status, 202);
  auto requested = deliveriesOf("auth.password_reset_requested");
  ASSERT_EQ(requested.size(), 1u);
  ASSERT_EQ(eventsOf("auth.password_reset_requested").size(), 1u);
  EXPECT_FALSE(eventsOf("auth.password_reset_requested")[0].contains("token"));
  std::string token(requested[0].at("token").as_string());

  auto confirmed = call("POST /v1/auth/password-reset/confirm",
                        json::object{{"token", token}, {"newPassword", "a-brand-new-secret"}});
  EXPECT_EQ(confirmed.status, 204) << core::toJson(confirmed.body);
  EXPECT_EQ(call("POST /v1/auth/password-reset/confirm",
                 json::object{{"token", token}, {"newPassword", "a-brand-new-secret"}})
                .status,
            400);
  EXPECT_EQ(
      call("POST /v1/auth/refresh", json::object{{"refreshToken", up.str("refreshToken")}}).status,
      401);
  EXPECT_EQ(login("acme", "ada@example.com", "plum-kettle-93-orbit").status, 401);
  EXPECT_EQ(login("acme", "ada@example.com", "a-brand-new-secret").status, 200);
}

TEST_F(AuthFlowTest, CustomRolesGrantTheirScopes) {
  auto up = signUp("acme");
  Identity owner = identityOf(up.str("accessToken"));
  auto put = call("PUT /v1/roles/{name}", json::object{{"scopes", json::array{"audit:read"}}},
                  owner, json::object{{"name", "auditor"}});
  ASSERT_EQ(put.status, 200) << core::toJson(put.body);
  EXPECT_EQ(call("PUT /v1/roles/{name}", json::object{{"scopes", json::array{"x:y"}}}, owner,
                 json::object{{"name", "bad"}})
                .status,
            400);
  EXPECT_EQ(call("PUT /v1/roles/{name}", json::object{{"scopes", json::array{"data:read"}}}, owner,
                 json::object{{"name", "admin"}})
                .status,
            400);
  auto roles = call("GET /v1/roles", nullptr, owner);
  ASSERT_EQ(roles.status, 200);
  EXPECT_EQ(roles.body.at("items").as_array().size(), 5u);
  auto me = call("GET /v1/me", nullptr, owner);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body.at("tenant").at("slug").as_string(), "acme");
  EXPECT_EQ(me.body.at("user").at("email").as_string(), "ada@example.com");
}

TEST_F(AuthFlowTest, DiscoveryDocumentsNameTheIssuerAndKeys) {
  auto jwks = call("GET /.well-known/jwks.json", nullptr);
  ASSERT_EQ(jwks.status, 200);
  EXPECT_EQ(jwks.body.at("keys").as_array().size(), 1u);
  auto oidc = call("GET /.well-known/openid-configuration", nullptr);
  ASSERT_EQ(oidc.status, 200);
  EXPECT_EQ(oidc.body.at("jwks_uri").as_string(), "https://auth.example.com/.well-known/jwks.json");
  EXPECT_EQ(oidc.body.at("issuer").as_string(), "https://bakery.test");
}

}  // namespace
}  // namespace bakery::handlers::auth
