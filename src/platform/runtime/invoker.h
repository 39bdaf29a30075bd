// Invoker: runs function invocations on a bounded worker pool.
//
// For each invocation, in order: the body schema (400 ValidationException, handler not
// called); the idempotency claim (a stored response is returned as is, 409 while the same key
// is in progress, 422 for the same key with another payload); a concurrency slot (at most the
// function's reserved concurrency, and at most `workers` invocations in all: past either the
// caller gets 429 TooManyRequestsException at once, nothing is queued); then the handler on a
// worker thread with a deadline (Execution::kInline: on the caller's thread, the deadline
// judged when it returns). Past the deadline the caller gets 504 and the late result is
// dropped (the slot stays taken until the handler returns, as a busy Lambda environment
// would). An exception escaping the handler becomes a 500 with a generic message; its detail
// goes to the log only.
//
// `done` is called exactly once: on the caller's thread for immediate outcomes, otherwise on
// a worker or the deadline thread; it must be quick and thread-safe (post elsewhere).
// Thread-safe. The catalog, logger, metrics, store and clock must outlive the invoker.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <bakery/context.h>
#include <bakery/table/table.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "platform/observability/logger.h"
#include "platform/runtime/function_catalog.h"
#include "platform/runtime/idempotency_store.h"

namespace bakery::runtime {

struct InvocationRequest {
  std::string requestId;
  TraceContext trace;
  json::value event;
  std::string route;  // for log lines; empty outside HTTP
  // The scope of the function's tables and bus, and the tenant of its log lines: the
  // identity's tenant for an authorized request; "" (the system scope) when unknown.
  std::string tenant;
  std::optional<Identity> identity;  // set by the gateway's authorizer
};

struct InvocationResult {
  // The handler's result when it ran (or the stored one on an idempotent replay);
  // null when `error` is set.
  json::value response;
  std::optional<core::Error> error;
  std::chrono::microseconds duration{0};
  bool coldStart = false;
  bool replayed = false;  // idempotent replay: the handler did not run
};

struct InvokerOptions {
  int workers = 64;  // concurrent invocations in all
  // Opens the table store for one tenant; called at most once per invocation, on first use
  // of Context::tables(). Unset: tables() answers every call with ServiceUnavailable.
  std::function<std::unique_ptr<table::Tables>(std::string_view tenant)> tables;
  // Opens the event bus for one tenant, likewise (Context::bus()). Both providers also serve
  // Context::tablesOf() / busOf() of Tenancy::kSystem functions.
  std::function<std::unique_ptr<Bus>(std::string_view tenant)> bus;
};

class Invoker {
 public:
  using Done = std::function<void(InvocationResult)>;

  Invoker(InvokerOptions options, const core::Clock& clock, observability::Logger& logger,
          observability::MetricsRegistry& metrics, IdempotencyStore& idempotency);
  ~Invoker();
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  void invoke(RegisteredFunction& fn, InvocationRequest request, Done done);
  // Blocks until the outcome is known (for `bakery invoke` and tests).
  InvocationResult invokeSync(RegisteredFunction& fn, InvocationRequest request);

  // Handlers still running (including ones whose caller already got 504).
  int running() const { return running_.load(); }
  // Waits for running handlers to return, at most `grace`; true when none is left.
  bool drain(std::chrono::milliseconds grace);
  // Joins the worker threads (waits for running handlers: call drain() first).
  void stop();

 private:
  struct Call;
  struct Shared;
  void start(RegisteredFunction& fn, InvocationRequest request, Done done,
             std::optional<std::pair<std::string, std::uint64_t>> claim);
  InvocationResult execute(Call& call);
  void timeOut(const std::shared_ptr<Call>& call);
  void finish(const std::shared_ptr<Call>& call, InvocationResult result);
  void release(Call& call);
  void endRun();

  const core::Clock& clock_;
  observability::Logger& logger_;
  IdempotencyStore& idempotency_;
  InvokerOptions options_;
  std::atomic<int> admitted_{0};
  std::atomic<int> running_{0};
  observability::Gauge* concurrencyGauge_;
  std::unique_ptr<Shared> shared_;
};

}  // namespace bakery::runtime
