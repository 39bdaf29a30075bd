#include "platform/runtime/function_catalog.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/observability/metrics_registry.h"

namespace bakery::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

json::value echo(const json::value& event, Context&) { return event; }

FunctionSpec spec(std::string name) {
  FunctionSpec s;
  s.name = std::move(name);
  s.description = "echoes its event";
  s.handler = echo;
  return s;
}

json::value parse(std::string_view text) {
  auto v = core::parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

class FunctionCatalogTest : public ::testing::Test {
 protected:
  observability::MetricsRegistry metrics_;
  FunctionCatalog catalog_{metrics_};
};

TEST_F(FunctionCatalogTest, AcceptsCapabilityDotVerbNames) {
  for (std::string name : {"diag.echo", "auth.sign-up", "woofy.chat_v2", "a.b.c", "x1.y2"}) {
    EXPECT_NO_THROW(catalog_.add(spec(name))) << name;
    EXPECT_NE(catalog_.find(name), nullptr) << name;
  }
}

TEST_F(FunctionCatalogTest, RejectsMalformedNames) {
  for (std::string name :
       {"", "echo", "Diag.echo", "diag.Echo", "diag.", ".echo", "diag..echo", "1diag.echo",
        "diag.1echo", "diag echo", "diag/echo", "diag.echo!", "-diag.echo"}) {
    EXPECT_THROW(catalog_.add(spec(name)), std::invalid_argument) << name;
  }
  EXPECT_TRUE(catalog_.all().empty());
}

TEST_F(FunctionCatalogTest, NamesMayBeUpTo64Characters) {
  std::string longest = "a." + std::string(62, 'b');
  ASSERT_EQ(longest.size(), 64u);
  EXPECT_NO_THROW(catalog_.add(spec(longest)));
  EXPECT_THROW(catalog_.add(spec(longest + "c")), std::invalid_argument);
}

TEST_F(FunctionCatalogTest, DuplicateNameThrowsAndKeepsTheFirst) {
  catalog_.add(spec("diag.echo"));
  FunctionSpec again = spec("diag.echo");
  again.description = "second";
  try {
    catalog_.add(std::move(again));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("registered twice"));
  }
  ASSERT_EQ(catalog_.all().size(), 1u);
  EXPECT_EQ(catalog_.find("diag.echo")->spec.description, "echoes its event");
}

TEST_F(FunctionCatalogTest, MissingHandlerThrows) {
  FunctionSpec s = spec("diag.echo");
  s.handler = nullptr;
  EXPECT_THROW(catalog_.add(std::move(s)), std::invalid_argument);
}

TEST_F(FunctionCatalogTest, TimeoutMustBeFrom1MsTo15Minutes) {
  for (auto bad : {0ms, -1ms, 900'001ms}) {
    FunctionSpec s = spec("diag.echo");
    s.timeout = bad;
    EXPECT_THROW(catalog_.add(std::move(s)), std::invalid_argument) << bad.count();
  }
  FunctionSpec shortest = spec("diag.short");
  shortest.timeout = 1ms;
  EXPECT_NO_THROW(catalog_.add(std::move(shortest)));
  FunctionSpec longest = spec("diag.long");
  longest.timeout = FunctionCatalog::kMaxTimeout;
  EXPECT_NO_THROW(catalog_.add(std::move(longest)));
  EXPECT_EQ(FunctionCatalog::kMaxTimeout, 15min);
}

TEST_F(FunctionCatalogTest, NegativeReservedConcurrencyThrowsButZeroIsAllowed) {
  FunctionSpec negative = spec("diag.negative");
  negative.reservedConcurrency = -1;
  EXPECT_THROW(catalog_.add(std::move(negative)), std::invalid_argument);
  FunctionSpec zero = spec("diag.zero");
  zero.reservedConcurrency = 0;
  EXPECT_NO_THROW(catalog_.add(std::move(zero)));
}

TEST_F(FunctionCatalogTest, InvalidBodySchemaThrows) {
  FunctionSpec s = spec("diag.echo");
  s.bodySchema = parse(R"({"type": 5})");
  EXPECT_THROW(catalog_.add(std::move(s)), std::invalid_argument);
  EXPECT_EQ(catalog_.find("diag.echo"), nullptr);
}

TEST_F(FunctionCatalogTest, ValidBodySchemaIsCompiled) {
  FunctionSpec s = spec("diag.echo");
  s.bodySchema = parse(R"({"type": "object", "required": ["name"]})");
  catalog_.add(std::move(s));
  const RegisteredFunction* fn = catalog_.find("diag.echo");
  ASSERT_NE(fn, nullptr);
  ASSERT_TRUE(fn->bodySchema.has_value());
  EXPECT_FALSE(fn->bodySchema->validate(parse("{}")).ok());
  EXPECT_TRUE(fn->bodySchema->validate(parse(R"({"name": "x"})")).ok());
}

TEST_F(FunctionCatalogTest, FunctionWithoutSchemaHasNone) {
  catalog_.add(spec("diag.echo"));
  EXPECT_FALSE(catalog_.find("diag.echo")->bodySchema.has_value());
}

TEST_F(FunctionCatalogTest, NewFunctionStartsColdWithNothingInFlight) {
  catalog_.add(spec("diag.echo"));
  const RegisteredFunction* fn = catalog_.find("diag.echo");
  EXPECT_FALSE(fn->warm.load());
  EXPECT_EQ(fn->inFlight.load(), 0);
}

TEST_F(FunctionCatalogTest, FindUnknownIsNull) {
  catalog_.add(spec("diag.echo"));
  EXPECT_EQ(catalog_.find("diag.echoo"), nullptr);
  const FunctionCatalog& constCatalog = catalog_;
  EXPECT_EQ(constCatalog.find("nope.nope"), nullptr);
  EXPECT_EQ(constCatalog.find("diag.echo")->spec.name, "diag.echo");
}

TEST_F(FunctionCatalogTest, AllListsFunctionsInRegistrationOrder) {
  catalog_.add(spec("zeta.last"));
  catalog_.add(spec("alpha.first"));
  catalog_.add(spec("mid.dle"));
  auto all = catalog_.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->spec.name, "zeta.last");
  EXPECT_EQ(all[1]->spec.name, "alpha.first");
  EXPECT_EQ(all[2]->spec.name, "mid.dle");
}

TEST_F(FunctionCatalogTest, CreatesPerFunctionMetricSeries) {
  catalog_.add(spec("diag.echo"));
  const RegisteredFunction* fn = catalog_.find("diag.echo");
  ASSERT_NE(fn->invocations, nullptr);
  ASSERT_NE(fn->errors, nullptr);
  ASSERT_NE(fn->throttles, nullptr);
  ASSERT_NE(fn->timeouts, nullptr);
  ASSERT_NE(fn->duration, nullptr);
  fn->invocations->inc(3);
  std::string text = metrics_.renderPrometheus();
  EXPECT_THAT(text, HasSubstr("bakery_function_invocations_total{function=\"diag.echo\"} 3"));
  EXPECT_THAT(text, HasSubstr("bakery_function_errors_total{function=\"diag.echo\"} 0"));
  EXPECT_THAT(text, HasSubstr("bakery_function_throttles_total{function=\"diag.echo\"} 0"));
  EXPECT_THAT(text, HasSubstr("bakery_function_timeouts_total{function=\"diag.echo\"} 0"));
  EXPECT_THAT(text, HasSubstr("bakery_function_duration_seconds_count{function=\"diag.echo\"} 0"));
}

TEST_F(FunctionCatalogTest, ConfigureUnknownFunctionIsAValidationErrorNamingIt) {
  catalog_.add(spec("diag.echo"));
  auto r = catalog_.configure("diag.ehco", FunctionOverrides{.timeout = 5s});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), "ValidationException");
  EXPECT_EQ(r.error().field(), "functions.diag.ehco");
  EXPECT_THAT(r.error().message(), HasSubstr("no such function"));
}

TEST_F(FunctionCatalogTest, ConfigureOverridesTimeoutAndReservedConcurrency) {
  catalog_.add(spec("diag.echo"));
  ASSERT_TRUE(catalog_.configure("diag.echo", {.timeout = 10s, .reservedConcurrency = 2}).ok());
  const RegisteredFunction* fn = catalog_.find("diag.echo");
  EXPECT_EQ(fn->spec.timeout, 10s);
  EXPECT_EQ(fn->spec.reservedConcurrency, 2);
}

TEST_F(FunctionCatalogTest, ConfigureWithoutSettingsKeepsTheCodeDefaults) {
  FunctionSpec s = spec("diag.echo");
  s.timeout = 7s;
  s.reservedConcurrency = 4;
  catalog_.add(std::move(s));
  ASSERT_TRUE(catalog_.configure("diag.echo", {}).ok());
  EXPECT_EQ(catalog_.find("diag.echo")->spec.timeout, 7s);
  EXPECT_EQ(catalog_.find("diag.echo")->spec.reservedConcurrency, 4);
}

TEST_F(FunctionCatalogTest, ConfigureMergesEnvironmentOverTheSpecs) {
  FunctionSpec s = spec("diag.echo");
  s.environment = {{"TABLE", "items"}, {"STAGE", "dev"}};
  catalog_.add(std::move(s));
  ASSERT_TRUE(
      catalog_.configure("diag.echo", {.environment = {{"STAGE", "prod"}, {"EXTRA", "1"}}}).ok());
  EXPECT_EQ(
      catalog_.find("diag.echo")->spec.environment,
      (std::map<std::string, std::string>{{"TABLE", "items"}, {"STAGE", "prod"}, {"EXTRA", "1"}}));
}

TEST_F(FunctionCatalogTest, ManifestDescribesEveryFunctionInOrder) {
  FunctionSpec plain = spec("diag.echo");
  plain.routes = {"GET /echo", "POST /echo"};
  catalog_.add(std::move(plain));

  FunctionSpec full = spec("orders.create");
  full.description = "creates an order";
  full.routes = {"POST /orders"};
  full.timeout = 10s;
  full.reservedConcurrency = 5;
  full.environment = {{"TABLE", "orders"}};
  full.bodySchema = parse(R"({"type": "object"})");
  full.execution = Execution::kInline;
  full.idempotency =
      IdempotencyOptions{.bodyKeyPointer = "/orderId", .keyRequired = true, .expiry = 2h};
  catalog_.add(std::move(full));

  json::value expected = parse(R"([
    {"name": "diag.echo", "description": "echoes its event",
     "routes": ["GET /echo", "POST /echo"], "timeoutMs": 3000,
     "reservedConcurrency": null, "execution": "pool", "environment": {}},
    {"name": "orders.create", "description": "creates an order", "routes": ["POST /orders"],
     "timeoutMs": 10000, "reservedConcurrency": 5, "execution": "inline",
     "environment": {"TABLE": "orders"},
     "bodySchema": {"type": "object"},
     "idempotency": {"keyHeader": "Idempotency-Key", "bodyKeyPointer": "/orderId",
                     "keyRequired": true, "expirySeconds": 7200}}
  ])");
  EXPECT_EQ(json::value(catalog_.manifest()), expected)
      << core::toJson(json::value(catalog_.manifest()));
}

TEST_F(FunctionCatalogTest, ManifestReflectsConfiguredOverrides) {
  catalog_.add(spec("diag.echo"));
  ASSERT_TRUE(catalog_.configure("diag.echo", {.timeout = 1s, .reservedConcurrency = 0}).ok());
  json::array manifest = catalog_.manifest();
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0].at("timeoutMs"), json::value(1000));
  EXPECT_EQ(manifest[0].at("reservedConcurrency"), json::value(0));
}

}  // namespace
}  // namespace bakery::runtime

namespace bakery::runtime {
namespace {

TEST_F(FunctionCatalogTest, ConfigureRejectsOutOfRangeOverridesAndKeepsTheSpec) {
  catalog_.add(spec("diag.echo"));
  auto zero = catalog_.configure("diag.echo", {.timeout = std::chrono::milliseconds(0)});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().field(), "functions.diag.echo.timeoutMs");
  EXPECT_FALSE(catalog_.configure("diag.echo", {.timeout = std::chrono::minutes(16)}).ok());
  auto negative = catalog_.configure("diag.echo", {.reservedConcurrency = -1});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().field(), "functions.diag.echo.reservedConcurrency");
  EXPECT_EQ(catalog_.find("diag.echo")->spec.timeout, std::chrono::seconds(3));
}

}  // namespace
}  // namespace bakery::runtime
