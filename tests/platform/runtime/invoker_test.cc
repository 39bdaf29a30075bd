#include "platform/runtime/invoker.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bakery/context.h>
#include <bakery/function.h>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "platform/observability/logger.h"
#include "platform/observability/metrics_registry.h"
#include "platform/runtime/function_catalog.h"
#include "platform/runtime/idempotency_store.h"

namespace bakery::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// A bound on waits for events that must happen, so a broken invoker fails a test instead of
// hanging it. No test measures time.
constexpr auto kFailsafe = 10s;

// What the logger wrote; shared with the test because the logger owns its sink.
class Captured {
 public:
  void add(std::string_view lines) {
    core::MutexLock lock(mu_);
    text_ += lines;
  }
  std::string text() {
    core::MutexLock lock(mu_);
    return text_;
  }

 private:
  core::Mutex mu_;
  std::string text_ GUARDED_BY(mu_);
};

class CapturingSink final : public observability::LogSink {
 public:
  explicit CapturingSink(std::shared_ptr<Captured> captured) : captured_(std::move(captured)) {}
  void write(std::string_view lines) override { captured_->add(lines); }

 private:
  std::shared_ptr<Captured> captured_;
};

// A door a handler waits at until the test opens it.
class Gate {
 public:
  void open() {
    std::call_once(once_, [this] { promise_.set_value(); });
  }
  void wait() const { (void)opened_.wait_for(kFailsafe); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
  std::once_flag once_;
};

// Opens a gate when the scope ends, so a failed assertion never leaves a handler blocked.
struct OpenOnExit {
  std::shared_ptr<Gate> gate;
  ~OpenOnExit() { gate->open(); }
};

// An invoker with everything it needs; declared in dependency order, so the invoker (which
// joins its threads) is destroyed first.
struct Harness {
  explicit Harness(const core::Clock& c, InvokerOptions options = {})
      : clock(c),
        logger(LogLevel::kDebug, std::make_unique<CapturingSink>(captured), c),
        store(c),
        catalog(metrics),
        invoker(options, c, logger, metrics, store) {}

  RegisteredFunction& add(FunctionSpec spec) {
    std::string name = spec.name;
    catalog.add(std::move(spec));
    return *catalog.find(name);
  }
  std::string log() {
    logger.flush();
    return captured->text();
  }
  std::future<InvocationResult> invokeAsync(RegisteredFunction& fn, InvocationRequest request) {
    auto promise = std::make_shared<std::promise<InvocationResult>>();
    auto future = promise->get_future();
    invoker.invoke(fn, std::move(request),
                   [promise](InvocationResult r) { promise->set_value(std::move(r)); });
    return future;
  }

  const core::Clock& clock;
  std::shared_ptr<Captured> captured = std::make_shared<Captured>();
  observability::Logger logger;
  observability::MetricsRegistry metrics;
  MemoryIdempotencyStore store;
  FunctionCatalog catalog;
  Invoker invoker;
};

FunctionSpec spec(std::string name, Handler handler) {
  FunctionSpec s;
  s.name = std::move(name);
  s.handler = std::move(handler);
  return s;
}

InvocationRequest request(json::value event, std::string requestId = "req-1") {
  InvocationRequest r;
  r.requestId = std::move(requestId);
  r.trace.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.trace.spanId = "00f067aa0ba902b7";
  r.trace.sampled = true;
  r.event = std::move(event);
  r.route = "POST /orders";
  r.tenant = "tenant-1";
  return r;
}

// A payload 2.0 event as the gateway builds it; `body` nullopt leaves the member out.
json::value httpEvent(std::optional<std::string> body,
                      std::optional<std::string> idempotencyKey = std::nullopt,
                      std::string method = "POST", std::string path = "/orders") {
  json::object headers;
  headers["content-type"] = "application/json";
  if (idempotencyKey) headers["idempotency-key"] = *idempotencyKey;
  json::object http;
  http["method"] = method;
  http["path"] = path;
  json::object ctx;
  ctx["http"] = std::move(http);
  json::object event;
  event["version"] = "2.0";
  event["rawPath"] = path;
  event["headers"] = std::move(headers);
  event["requestContext"] = std::move(ctx);
  if (body) event["body"] = *body;
  event["isBase64Encoded"] = false;
  return event;
}

class InvokerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override {
    for (auto& g : gates_) g->open();
    h_.reset();
  }
  void start(InvokerOptions options = {}) {
    h_.reset();
    h_ = std::make_unique<Harness>(clock_, options);
  }
  std::shared_ptr<Gate> gate() {
    gates_.push_back(std::make_shared<Gate>());
    return gates_.back();
  }
  Harness& h() { return *h_; }
  InvocationResult invoke(RegisteredFunction& fn, json::value event) {
    return h().invoker.invokeSync(fn, request(std::move(event)));
  }
  // A function counting its calls and answering {"call": n}.
  RegisteredFunction& counting(std::string name, std::atomic<int>& calls,
                               std::optional<IdempotencyOptions> idempotency = std::nullopt) {
    FunctionSpec s = spec(std::move(name), [&calls](const json::value&, Context&) {
      return json::value{{"call", ++calls}};
    });
    s.idempotency = std::move(idempotency);
    return h().add(std::move(s));
  }

  core::ManualClock clock_;
  std::vector<std::shared_ptr<Gate>> gates_;
  std::unique_ptr<Harness> h_;
};

// --- results and failures ---------------------------------------------------------------

TEST_F(InvokerTest, ReturnsTheHandlersResult) {
  auto& fn = h().add(spec("diag.echo", [](const json::value& event, Context&) {
    return json::value{{"echo", event}};
  }));
  InvocationResult r = invoke(fn, json::value{{"x", 1}});
  ASSERT_FALSE(r.error.has_value()) << r.error->message();
  EXPECT_EQ(r.response, (json::value{{"echo", {{"x", 1}}}}));
  EXPECT_FALSE(r.replayed);
}

// What a function reaches of the table store: its caller's tenant, and other tenants only
// when it is declared Tenancy::kSystem. The provider records the tenants it is asked for and
// opens nothing (the handles then answer ServiceUnavailable).
TEST_F(InvokerTest, OnlySystemFunctionsReachAnotherTenantsTables) {
  auto asked = std::make_shared<std::vector<std::string>>();
  InvokerOptions options;
  options.tables = [asked](std::string_view tenant) -> std::unique_ptr<table::Tables> {
    asked->emplace_back(tenant);
    return nullptr;
  };
  start(options);
  auto probe = [](const json::value&, Context& ctx) -> json::value {
    auto own = ctx.tables().open("t")->get({});
    auto other = ctx.tablesOf("other-tenant").open("t")->get({});
    auto otherBus = ctx.busOf("other-tenant").put({});
    return json::value{{"own", own ? "ok" : own.error().type()},
                       {"other", other ? "ok" : other.error().type()},
                       {"otherBus", otherBus ? "ok" : otherBus.error().type()},
                       {"subject", ctx.identity() ? ctx.identity()->subject : "none"}};
  };
  auto& caller = h().add(spec("probe.caller", probe));
  FunctionSpec system = spec("probe.system", probe);
  system.tenancy = Tenancy::kSystem;
  auto& sys = h().add(std::move(system));

  InvocationRequest r = request(json::object());
  r.identity = Identity{.tenant = "tenant-1", .subject = "usr_1"};
  InvocationResult callerResult = h().invoker.invokeSync(caller, std::move(r));
  EXPECT_EQ(callerResult.response, (json::value{{"own", "ServiceUnavailable"},
                                                {"other", "AccessDeniedException"},
                                                {"otherBus", "AccessDeniedException"},
                                                {"subject", "usr_1"}}));
  EXPECT_EQ(*asked, (std::vector<std::string>{"tenant-1"}));

  asked->clear();
  InvocationResult systemResult = h().invoker.invokeSync(sys, request(json::object()));
  EXPECT_EQ(systemResult.response, (json::value{{"own", "ServiceUnavailable"},
                                                {"other", "ServiceUnavailable"},
                                                {"otherBus", "ServiceUnavailable"},
                                                {"subject", "none"}}));
  EXPECT_EQ(*asked, (std::vector<std::string>{"tenant-1", "other-tenant"}));
}

TEST_F(InvokerTest, ContextCarriesRequestIdFunctionNameAndTrace) {
  auto& fn = h().add(spec("diag.whoami", [](const json::value&, Context& ctx) {
    return json::value{{"requestId", ctx.requestId()},
                       {"function", ctx.functionName()},
                       {"traceId", ctx.trace().traceId},
                       {"spanId", ctx.trace().spanId}};
  }));
  InvocationResult r = h().invoker.invokeSync(fn, request(json::object(), "req-42"));
  EXPECT_EQ(r.response, (json::value{{"requestId", "req-42"},
                                     {"function", "diag.whoami"},
                                     {"traceId", "4bf92f3577b34da6a3ce929d0e0e4736"},
                                     {"spanId", "00f067aa0ba902b7"}}));
}

TEST_F(InvokerTest, HandlerExceptionIsAGeneric500WithTheDetailOnlyInTheLog) {
  auto& fn = h().add(spec("diag.boom", [](const json::value&, Context&) -> json::value {
    throw std::runtime_error("oven exploded at 451F");
  }));
  InvocationResult r = h().invoker.invokeSync(fn, request(json::object(), "req-boom"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), "InternalServerException");
  EXPECT_EQ(r.error->status(), 500);
  EXPECT_EQ(r.error->message(), "Internal server error");
  EXPECT_TRUE(r.response.is_null());
  std::string log = h().log();
  EXPECT_THAT(log, HasSubstr("oven exploded at 451F"));
  EXPECT_THAT(log, HasSubstr("req-boom"));
  EXPECT_THAT(log, HasSubstr("diag.boom"));
  EXPECT_EQ(fn.errors->value(), 1u);
  EXPECT_EQ(fn.invocations->value(), 1u);
}

TEST_F(InvokerTest, NonStandardExceptionIsAlsoA500) {
  auto& fn =
      h().add(spec("diag.boom", [](const json::value&, Context&) -> json::value { throw 42; }));
  InvocationResult r = invoke(fn, json::object());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->status(), 500);
  EXPECT_EQ(r.error->message(), "Internal server error");
  EXPECT_THAT(h().log(), HasSubstr("non-exception"));
  EXPECT_EQ(fn.errors->value(), 1u);
}

TEST_F(InvokerTest, StructuredServerErrorResponseIsNotCountedAsAnInvokerError) {
  // The function answered; only exceptions and timeouts are errors of the invocation.
  auto& fn = h().add(spec("diag.fail", [](const json::value&, Context&) {
    return json::value{{"statusCode", 503}};
  }));
  InvocationResult r = invoke(fn, json::object());
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(fn.errors->value(), 0u);
}

// --- concurrency --------------------------------------------------------------------------

TEST_F(InvokerTest, ReservedConcurrencyExcessGets429AtOnce) {
  auto g = gate();
  FunctionSpec s = spec("diag.slow", [g](const json::value&, Context&) {
    g->wait();
    return json::value("done");
  });
  s.reservedConcurrency = 1;
  auto& fn = h().add(std::move(s));

  auto first = h().invokeAsync(fn, request(json::object(), "req-1"));
  InvocationResult second = h().invoker.invokeSync(fn, request(json::object(), "req-2"));
  ASSERT_TRUE(second.error.has_value());
  EXPECT_EQ(second.error->type(), "TooManyRequestsException");
  EXPECT_EQ(second.error->status(), 429);
  EXPECT_THAT(second.error->message(), HasSubstr("diag.slow"));
  EXPECT_EQ(fn.throttles->value(), 1u);
  EXPECT_EQ(fn.invocations->value(), 1u);

  g->open();
  ASSERT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
  EXPECT_EQ(first.get().response, json::value("done"));
  ASSERT_TRUE(h().invoker.drain(kFailsafe));
  InvocationResult third = invoke(fn, json::object());
  EXPECT_FALSE(third.error.has_value());
  EXPECT_EQ(fn.invocations->value(), 2u);
  EXPECT_EQ(fn.throttles->value(), 1u);
}

TEST_F(InvokerTest, ImmediateOutcomesAreDeliveredOnTheCallersThread) {
  FunctionSpec s = spec("diag.off", [](const json::value&, Context&) { return json::value(); });
  s.reservedConcurrency = 0;
  auto& fn = h().add(std::move(s));
  std::optional<InvocationResult> got;
  std::thread::id where;
  h().invoker.invoke(fn, request(json::object()), [&](InvocationResult r) {
    where = std::this_thread::get_id();
    got = std::move(r);
  });
  ASSERT_TRUE(got.has_value());  // before invoke() returned
  EXPECT_EQ(where, std::this_thread::get_id());
  ASSERT_TRUE(got->error.has_value());
  EXPECT_EQ(got->error->status(), 429);
}

TEST_F(InvokerTest, ZeroReservedConcurrencyThrottlesEveryInvocation) {
  std::atomic<int> calls{0};
  FunctionSpec s = spec("diag.off", [&calls](const json::value&, Context&) {
    ++calls;
    return json::value();
  });
  s.reservedConcurrency = 0;
  auto& fn = h().add(std::move(s));
  for (int i = 0; i < 3; ++i) {
    InvocationResult r = invoke(fn, json::object());
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->status(), 429);
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(fn.throttles->value(), 3u);
}

TEST_F(InvokerTest, GlobalWorkerLimitThrottlesOtherFunctionsToo) {
  start({.workers = 1});
  auto g = gate();
  auto& slow = h().add(spec("diag.slow", [g](const json::value&, Context&) {
    g->wait();
    return json::value("slow");
  }));
  auto& other = h().add(
      spec("diag.other", [](const json::value&, Context&) { return json::value("other"); }));

  auto first = h().invokeAsync(slow, request(json::object()));
  InvocationResult blocked = invoke(other, json::object());
  ASSERT_TRUE(blocked.error.has_value());
  EXPECT_EQ(blocked.error->type(), "TooManyRequestsException");
  EXPECT_EQ(other.throttles->value(), 1u);
  EXPECT_EQ(other.inFlight.load(), 0);

  g->open();
  ASSERT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
  ASSERT_TRUE(h().invoker.drain(kFailsafe));
  InvocationResult after = invoke(other, json::object());
  ASSERT_FALSE(after.error.has_value());
  EXPECT_EQ(after.response, json::value("other"));
}

TEST_F(InvokerTest, ReservedConcurrencyAboveTheWorkerLimitIsStillCappedByIt) {
  start({.workers = 1});
  auto g = gate();
  FunctionSpec s = spec("diag.slow", [g](const json::value&, Context&) {
    g->wait();
    return json::value();
  });
  s.reservedConcurrency = 5;
  auto& fn = h().add(std::move(s));
  auto first = h().invokeAsync(fn, request(json::object()));
  InvocationResult second = invoke(fn, json::object());
  ASSERT_TRUE(second.error.has_value());
  EXPECT_EQ(second.error->status(), 429);
  EXPECT_EQ(fn.inFlight.load(), 1);
  g->open();
  EXPECT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
}

TEST_F(InvokerTest, SequentialCallsAtReservedConcurrencyOneAreNeverThrottled) {
  // A caller that waits for each answer never has two invocations in flight, so none of its
  // calls may be refused: the slot must be free by the time the answer arrives.
  std::atomic<int> calls{0};
  auto& fn = counting("diag.serial", calls);
  ASSERT_TRUE(h().catalog.configure("diag.serial", {.reservedConcurrency = 1}).ok());
  for (int i = 0; i < 300; ++i) {
    InvocationResult r = invoke(fn, json::object());
    ASSERT_FALSE(r.error.has_value()) << "call " << i << ": " << r.error->message();
  }
  EXPECT_EQ(calls.load(), 300);
}

TEST_F(InvokerTest, DrainWaitsForRunningHandlers) {
  auto g = gate();
  auto& fn = h().add(spec("diag.slow", [g](const json::value&, Context&) {
    g->wait();
    return json::value();
  }));
  auto first = h().invokeAsync(fn, request(json::object()));
  EXPECT_EQ(h().invoker.running(), 1);
  EXPECT_FALSE(h().invoker.drain(0ms));
  g->open();
  EXPECT_TRUE(h().invoker.drain(kFailsafe));
  EXPECT_EQ(h().invoker.running(), 0);
  EXPECT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
}

// --- inline execution ---------------------------------------------------------------------

TEST_F(InvokerTest, InlineHandlerRunsOnTheCallersThreadBeforeInvokeReturns) {
  FunctionSpec s = spec("diag.inline", [](const json::value&, Context&) {
    std::ostringstream id;
    id << std::this_thread::get_id();
    return json::value(id.str());
  });
  s.execution = Execution::kInline;
  auto& fn = h().add(std::move(s));
  std::optional<InvocationResult> got;
  h().invoker.invoke(fn, request(json::object()), [&](InvocationResult r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());
  std::ostringstream self;
  self << std::this_thread::get_id();
  EXPECT_EQ(got->response, json::value(self.str()));
  EXPECT_TRUE(got->coldStart);
  EXPECT_EQ(fn.inFlight.load(), 0);
  EXPECT_EQ(h().invoker.running(), 0);
}

TEST_F(InvokerTest, InlineHandlerPastItsDeadlineGets504AndItsResultIsDropped) {
  FunctionSpec s = spec("diag.inline", [this](const json::value&, Context&) {
    clock_.advance(1001ms);
    return json::value("late");
  });
  s.execution = Execution::kInline;
  s.timeout = 1000ms;
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));
  InvocationResult r = invoke(fn, httpEvent("{}", "key-1"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), "FunctionTimeoutException");
  EXPECT_EQ(r.error->status(), 504);
  EXPECT_TRUE(r.response.is_null());
  EXPECT_EQ(fn.timeouts->value(), 1u);
  EXPECT_EQ(fn.errors->value(), 1u);
  EXPECT_EQ(fn.inFlight.load(), 0);
  EXPECT_EQ(h().store.sizeForTest(), 0u);  // the key was released, not completed
  EXPECT_THAT(h().log(), HasSubstr("late result dropped"));
}

TEST_F(InvokerTest, InlineHandlerReturningExactlyAtItsDeadlineIsOnTime) {
  FunctionSpec s = spec("diag.inline", [this](const json::value&, Context&) {
    clock_.advance(1000ms);
    return json::value("on time");
  });
  s.execution = Execution::kInline;
  s.timeout = 1000ms;
  auto& fn = h().add(std::move(s));
  InvocationResult r = invoke(fn, json::object());
  ASSERT_FALSE(r.error.has_value()) << r.error->message();
  EXPECT_EQ(r.response, json::value("on time"));
  EXPECT_EQ(fn.timeouts->value(), 0u);
}

// --- context ------------------------------------------------------------------------------

TEST_F(InvokerTest, ColdStartIsTrueOnlyForAFunctionsFirstInvocation) {
  std::atomic<int> calls{0};
  auto& a = counting("diag.a", calls);
  auto& b = counting("diag.b", calls);
  EXPECT_TRUE(invoke(a, json::object()).coldStart);
  EXPECT_FALSE(invoke(a, json::object()).coldStart);
  EXPECT_FALSE(invoke(a, json::object()).coldStart);
  EXPECT_TRUE(invoke(b, json::object()).coldStart);
  EXPECT_FALSE(invoke(b, json::object()).coldStart);
}

TEST_F(InvokerTest, RemainingTimeStartsAtTheTimeoutAndFallsWithTheClock) {
  FunctionSpec s = spec("diag.timer", [this](const json::value&, Context& ctx) {
    auto atStart = ctx.remaining();
    clock_.advance(1200ms);
    auto later = ctx.remaining();
    return json::value{atStart.count(), later.count()};
  });
  s.timeout = 3000ms;
  auto& fn = h().add(std::move(s));
  InvocationResult r = invoke(fn, json::object());
  ASSERT_FALSE(r.error.has_value());
  EXPECT_EQ(r.response, (json::value{3000, 1800}));
}

TEST_F(InvokerTest, DurationIsMeasuredOnTheInjectedClock) {
  auto& fn = h().add(spec("diag.bake", [this](const json::value&, Context&) {
    clock_.advance(250ms);
    return json::value();
  }));
  InvocationResult r = invoke(fn, json::object());
  EXPECT_EQ(r.duration, 250ms);
  EXPECT_EQ(fn.duration->snapshot().count, 1u);
}

TEST_F(InvokerTest, EnvReadsTheFunctionsEnvironment) {
  FunctionSpec s = spec("diag.env", [](const json::value&, Context& ctx) {
    auto table = ctx.env("TABLE");
    return json::value{{"table", table ? json::value(*table) : json::value()},
                       {"missing", ctx.env("NOPE").has_value()}};
  });
  s.environment = {{"TABLE", "items"}};
  auto& fn = h().add(std::move(s));
  InvocationResult r = invoke(fn, json::object());
  EXPECT_EQ(r.response, (json::value{{"table", "items"}, {"missing", false}}));
}

TEST_F(InvokerTest, EnvSeesConfiguredOverrides) {
  FunctionSpec s = spec("diag.env", [](const json::value&, Context& ctx) {
    return json::value(std::string(ctx.env("STAGE").value_or("unset")));
  });
  s.environment = {{"STAGE", "dev"}};
  h().add(std::move(s));
  ASSERT_TRUE(h().catalog.configure("diag.env", {.environment = {{"STAGE", "prod"}}}).ok());
  InvocationResult r = invoke(*h().catalog.find("diag.env"), json::object());
  EXPECT_EQ(r.response, json::value("prod"));
}

TEST_F(InvokerTest, HandlerLogLinesCarryTheInvocationAndRedactSecrets) {
  auto& fn = h().add(spec("diag.logger", [](const json::value&, Context& ctx) {
    ctx.log(LogLevel::kInfo, "baking", {{"loaf", "rye"}, {"password", "hunter2"}});
    return json::value();
  }));
  InvocationResult r = h().invoker.invokeSync(fn, request(json::object(), "req-log"));
  ASSERT_FALSE(r.error.has_value());
  std::string log = h().log();
  auto line = core::parseJson(log.substr(0, log.find('\n')), "log line");
  ASSERT_TRUE(line.ok()) << log;
  const json::object& o = line->as_object();
  EXPECT_EQ(o.at("msg"), json::value("baking"));
  EXPECT_EQ(o.at("requestId"), json::value("req-log"));
  EXPECT_EQ(o.at("traceId"), json::value("4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_EQ(o.at("function"), json::value("diag.logger"));
  EXPECT_EQ(o.at("tenant"), json::value("tenant-1"));
  EXPECT_EQ(o.at("loaf"), json::value("rye"));
  EXPECT_THAT(log, Not(HasSubstr("hunter2")));
}

// --- body schema --------------------------------------------------------------------------

class InvokerSchemaTest : public InvokerTest {
 protected:
  void SetUp() override {
    InvokerTest::SetUp();
    FunctionSpec s = spec("orders.create", [this](const json::value&, Context&) {
      ++calls_;
      return json::value("created");
    });
    auto schema = core::parseJson(
        R"({"type": "object", "required": ["owner"],
            "properties": {"owner": {"type": "object", "required": ["email"],
                                     "properties": {"email": {"type": "string"}}}}})",
        "schema");
    ASSERT_TRUE(schema.ok());
    s.bodySchema = *schema;
    fn_ = &h().add(std::move(s));
  }

  std::atomic<int> calls_{0};
  RegisteredFunction* fn_ = nullptr;
};

TEST_F(InvokerSchemaTest, InvalidBodyIs400NamingTheFieldAndSkipsTheHandler) {
  InvocationResult r = invoke(*fn_, httpEvent(R"({"owner": {}})"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), "ValidationException");
  EXPECT_EQ(r.error->status(), 400);
  EXPECT_EQ(r.error->field(), "owner.email");
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_EQ(fn_->invocations->value(), 0u);
}

TEST_F(InvokerSchemaTest, ValidBodyReachesTheHandler) {
  InvocationResult r = invoke(*fn_, httpEvent(R"({"owner": {"email": "a@b.c"}})"));
  ASSERT_FALSE(r.error.has_value()) << r.error->message();
  EXPECT_EQ(r.response, json::value("created"));
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(InvokerSchemaTest, HttpEventWithoutABodyIs400NamingTheBody) {
  InvocationResult r = invoke(*fn_, httpEvent(std::nullopt));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->status(), 400);
  EXPECT_EQ(r.error->field(), "body");
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(InvokerSchemaTest, BodyThatIsNotJsonIs400NamingTheBody) {
  InvocationResult r = invoke(*fn_, httpEvent("{not json"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->status(), 400);
  EXPECT_EQ(r.error->field(), "body");
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(InvokerSchemaTest, NonHttpEventIsValidatedAsAWhole) {
  EXPECT_FALSE(invoke(*fn_, json::value{{"owner", {{"email", "a@b.c"}}}}).error.has_value());
  InvocationResult r = invoke(*fn_, json::value{{"owner", 5}});
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->field(), "owner");
  EXPECT_EQ(calls_.load(), 1);
}

// --- idempotency --------------------------------------------------------------------------

TEST_F(InvokerTest, RepeatedIdempotencyKeyReplaysTheStoredResponse) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{});
  InvocationResult first = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  InvocationResult second = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  ASSERT_FALSE(first.error.has_value());
  ASSERT_FALSE(second.error.has_value());
  EXPECT_FALSE(first.replayed);
  EXPECT_TRUE(second.replayed);
  EXPECT_EQ(second.response, first.response);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(fn.invocations->value(), 1u);
}

TEST_F(InvokerTest, DifferentIdempotencyKeysRunSeparately) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{});
  EXPECT_FALSE(invoke(fn, httpEvent(R"({"a":1})", "key-1")).replayed);
  EXPECT_FALSE(invoke(fn, httpEvent(R"({"a":1})", "key-2")).replayed);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, DuplicateWhileInProgressIs409) {
  auto g = gate();
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [g, &calls](const json::value&, Context&) {
    g->wait();
    return json::value{{"call", ++calls}};
  });
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));

  auto first = h().invokeAsync(fn, request(httpEvent(R"({"a":1})", "key-1")));
  InvocationResult dup = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  ASSERT_TRUE(dup.error.has_value());
  EXPECT_EQ(dup.error->type(), "IdempotencyAlreadyInProgressException");
  EXPECT_EQ(dup.error->status(), 409);

  g->open();
  ASSERT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
  EXPECT_FALSE(first.get().error.has_value());
  InvocationResult later = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  EXPECT_TRUE(later.replayed);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InvokerTest, SameKeyWithAnotherBodyIs422) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{});
  ASSERT_FALSE(invoke(fn, httpEvent(R"({"a":1})", "key-1")).error.has_value());
  InvocationResult r = invoke(fn, httpEvent(R"({"a":2})", "key-1"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), "IdempotentParameterMismatchException");
  EXPECT_EQ(r.error->status(), 422);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InvokerTest, SameKeyOnAnotherPathIs422) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{});
  ASSERT_FALSE(invoke(fn, httpEvent(R"({"a":1})", "key-1", "POST", "/orders")).error);
  InvocationResult r = invoke(fn, httpEvent(R"({"a":1})", "key-1", "POST", "/refunds"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->status(), 422);
}

TEST_F(InvokerTest, HandlerExceptionReleasesTheKeySoARetryRunsAgain) {
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [&calls](const json::value&, Context&) {
    if (++calls == 1) throw std::runtime_error("transient");
    return json::value{{"call", calls.load()}};
  });
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));
  InvocationResult failed = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.error->status(), 500);
  InvocationResult retry = invoke(fn, httpEvent(R"({"a":1})", "key-1"));
  ASSERT_FALSE(retry.error.has_value());
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(retry.response, (json::value{{"call", 2}}));
  EXPECT_TRUE(invoke(fn, httpEvent(R"({"a":1})", "key-1")).replayed);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, ServerErrorResponseReleasesTheKey) {
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [&calls](const json::value&, Context&) {
    int n = ++calls;
    return json::value{{"statusCode", n == 1 ? 503 : 201}, {"body", "attempt"}};
  });
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));
  ASSERT_EQ(invoke(fn, httpEvent("{}", "key-1")).response.at("statusCode"), json::value(503));
  InvocationResult retry = invoke(fn, httpEvent("{}", "key-1"));
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(retry.response.at("statusCode"), json::value(201));
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, ServerErrorResponseWithAnUnsignedStatusAlsoReleasesTheKey) {
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [&calls](const json::value&, Context&) {
    unsigned status = ++calls == 1 ? 503u : 201u;
    return json::value{{"statusCode", status}};
  });
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));
  invoke(fn, httpEvent("{}", "key-1"));
  InvocationResult retry = invoke(fn, httpEvent("{}", "key-1"));
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, ClientErrorResponseIsStoredAndReplayed) {
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [&calls](const json::value&, Context&) {
    ++calls;
    return json::value{{"statusCode", 404}};
  });
  s.idempotency = IdempotencyOptions{};
  auto& fn = h().add(std::move(s));
  invoke(fn, httpEvent("{}", "key-1"));
  InvocationResult again = invoke(fn, httpEvent("{}", "key-1"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.response, (json::value{{"statusCode", 404}}));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InvokerTest, KeyComesFromTheBodyPointerWhenThereIsNoHeader) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{.bodyKeyPointer = "/orderId"});
  invoke(fn, httpEvent(R"({"orderId": "o-1"})"));
  EXPECT_TRUE(invoke(fn, httpEvent(R"({"orderId": "o-1"})")).replayed);
  EXPECT_FALSE(invoke(fn, httpEvent(R"({"orderId": "o-2"})")).replayed);
  invoke(fn, httpEvent(R"({"orderId": 7})"));
  EXPECT_TRUE(invoke(fn, httpEvent(R"({"orderId": 7})")).replayed);
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(InvokerTest, BodyPointerAppliesToTheWholeEventOfOtherTriggers) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{.bodyKeyPointer = "/orderId"});
  invoke(fn, json::value{{"orderId", "o-1"}});
  EXPECT_TRUE(invoke(fn, json::value{{"orderId", "o-1"}}).replayed);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InvokerTest, WithoutAKeyEveryRequestRunsUnlessAKeyIsRequired) {
  std::atomic<int> calls{0};
  auto& optional = counting("orders.optional", calls, IdempotencyOptions{});
  EXPECT_FALSE(invoke(optional, httpEvent("{}")).replayed);
  EXPECT_FALSE(invoke(optional, httpEvent("{}")).replayed);
  EXPECT_EQ(calls.load(), 2);

  auto& required = counting("orders.required", calls, IdempotencyOptions{.keyRequired = true});
  InvocationResult r = invoke(required, httpEvent("{}"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->status(), 400);
  EXPECT_EQ(r.error->field(), "Idempotency-Key");
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, IdempotencyKeyMustBe1To256Bytes) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{});
  for (std::string bad : {std::string(), std::string(257, 'k')}) {
    InvocationResult r = invoke(fn, httpEvent("{}", bad));
    ASSERT_TRUE(r.error.has_value()) << bad.size();
    EXPECT_EQ(r.error->status(), 400);
    EXPECT_EQ(r.error->field(), "Idempotency-Key");
  }
  EXPECT_FALSE(invoke(fn, httpEvent("{}", std::string(256, 'k'))).error.has_value());
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InvokerTest, StoredResponseExpires) {
  std::atomic<int> calls{0};
  auto& fn = counting("orders.create", calls, IdempotencyOptions{.expiry = 60s});
  invoke(fn, httpEvent("{}", "key-1"));
  clock_.advance(59s);
  EXPECT_TRUE(invoke(fn, httpEvent("{}", "key-1")).replayed);
  clock_.advance(2s);
  EXPECT_FALSE(invoke(fn, httpEvent("{}", "key-1")).replayed);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, IdempotencyKeysAreScopedToTheirFunction) {
  std::atomic<int> calls{0};
  auto& a = counting("orders.create", calls, IdempotencyOptions{});
  auto& b = counting("orders.update", calls, IdempotencyOptions{});
  EXPECT_FALSE(invoke(a, httpEvent("{}", "key-1")).replayed);
  EXPECT_FALSE(invoke(b, httpEvent("{}", "key-1")).replayed);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(InvokerTest, ThrottledInvocationReleasesItsIdempotencyClaim) {
  auto g = gate();
  std::atomic<int> calls{0};
  FunctionSpec s = spec("orders.create", [g, &calls](const json::value&, Context&) {
    g->wait();
    return json::value{{"call", ++calls}};
  });
  s.idempotency = IdempotencyOptions{};
  s.reservedConcurrency = 1;
  auto& fn = h().add(std::move(s));

  auto first = h().invokeAsync(fn, request(httpEvent("{}", "key-a")));
  InvocationResult throttled = invoke(fn, httpEvent("{}", "key-b"));
  ASSERT_TRUE(throttled.error.has_value());
  EXPECT_EQ(throttled.error->status(), 429);

  g->open();
  ASSERT_EQ(first.wait_for(kFailsafe), std::future_status::ready);
  ASSERT_TRUE(h().invoker.drain(kFailsafe));
  InvocationResult retry = invoke(fn, httpEvent("{}", "key-b"));
  ASSERT_FALSE(retry.error.has_value()) << retry.error->type();
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(calls.load(), 2);
}

// --- metrics ------------------------------------------------------------------------------

TEST_F(InvokerTest, MetricsCountInvocationsErrorsAndThrottles) {
  auto g = gate();
  std::atomic<int> calls{0};
  FunctionSpec s = spec("diag.metered", [g, &calls](const json::value&, Context&) {
    int n = ++calls;
    if (n == 2) throw std::runtime_error("failed");
    if (n == 3) g->wait();
    return json::value();
  });
  s.reservedConcurrency = 1;
  auto& fn = h().add(std::move(s));
  EXPECT_FALSE(invoke(fn, json::object()).error.has_value());
  EXPECT_TRUE(invoke(fn, json::object()).error.has_value());
  ASSERT_TRUE(h().invoker.drain(kFailsafe));
  auto blocked = h().invokeAsync(fn, request(json::object()));
  EXPECT_EQ(invoke(fn, json::object()).error->status(), 429);
  EXPECT_THAT(h().metrics.renderPrometheus(), HasSubstr("bakery_runtime_concurrent_invocations 1"));
  g->open();
  ASSERT_EQ(blocked.wait_for(kFailsafe), std::future_status::ready);
  ASSERT_TRUE(h().invoker.drain(kFailsafe));

  std::string text = h().metrics.renderPrometheus();
  EXPECT_THAT(text, HasSubstr("bakery_function_invocations_total{function=\"diag.metered\"} 3"));
  EXPECT_THAT(text, HasSubstr("bakery_function_errors_total{function=\"diag.metered\"} 1"));
  EXPECT_THAT(text, HasSubstr("bakery_function_throttles_total{function=\"diag.metered\"} 1"));
  EXPECT_THAT(text, HasSubstr("bakery_function_timeouts_total{function=\"diag.metered\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("bakery_function_duration_seconds_count{function=\"diag.metered\"} 3"));
  EXPECT_THAT(text, HasSubstr("bakery_runtime_concurrent_invocations 0"));
}

// --- deadlines ----------------------------------------------------------------------------

// The deadline thread waits on the real steady clock, so this test runs on SystemClock with a
// short timeout. It asserts outcomes only: which answer arrived, never when.
TEST(InvokerDeadlineTest, HandlerPastItsTimeoutGets504AndItsLateResultIsDroppedAndFreesItsSlot) {
  core::SystemClock clock;
  Harness h(clock, {.workers = 1});
  auto gate = std::make_shared<Gate>();
  OpenOnExit opener{gate};
  auto remainingAfterTimeout = std::make_shared<std::atomic<long long>>(-1);

  FunctionSpec s =
      spec("diag.slow", [gate, remainingAfterTimeout](const json::value&, Context& ctx) {
        gate->wait();
        *remainingAfterTimeout = ctx.remaining().count();
        return json::value("late");
      });
  s.timeout = 50ms;
  s.idempotency = IdempotencyOptions{};
  auto& slow = h.add(std::move(s));
  auto& other =
      h.add(spec("diag.other", [](const json::value&, Context&) { return json::value("other"); }));

  auto pending = h.invokeAsync(slow, request(httpEvent("{}", "key-1"), "req-slow"));
  ASSERT_EQ(pending.wait_for(kFailsafe), std::future_status::ready);
  InvocationResult r = pending.get();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), "FunctionTimeoutException");
  EXPECT_EQ(r.error->status(), 504);
  EXPECT_THAT(r.error->message(), HasSubstr("50 ms"));
  EXPECT_TRUE(r.response.is_null());
  EXPECT_TRUE(r.coldStart);
  EXPECT_EQ(slow.timeouts->value(), 1u);
  EXPECT_EQ(slow.errors->value(), 1u);

  // The handler still runs and still holds the only worker slot.
  EXPECT_EQ(h.invoker.running(), 1);
  InvocationResult refused = h.invoker.invokeSync(other, request(json::object()));
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->status(), 429);
  // The timed-out invocation gave up its idempotency claim, so a retry may run.
  EXPECT_EQ(h.store.sizeForTest(), 0u);

  gate->open();
  ASSERT_TRUE(h.invoker.drain(kFailsafe));
  EXPECT_EQ(h.invoker.running(), 0);
  EXPECT_EQ(slow.inFlight.load(), 0);
  EXPECT_EQ(remainingAfterTimeout->load(), 0);  // never negative
  EXPECT_THAT(h.log(), HasSubstr("late result dropped"));
  EXPECT_EQ(h.store.sizeForTest(), 0u);  // the late result did not complete the key
  EXPECT_EQ(slow.errors->value(), 1u);
  EXPECT_THAT(h.metrics.renderPrometheus(), HasSubstr("bakery_runtime_concurrent_invocations 0"));

  InvocationResult after = h.invoker.invokeSync(other, request(json::object()));
  ASSERT_FALSE(after.error.has_value()) << after.error->message();
  EXPECT_EQ(after.response, json::value("other"));
}

}  // namespace
}  // namespace bakery::runtime
