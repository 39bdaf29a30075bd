// Context: what a function sees of the invocation it serves, besides its event.
//
// The platform creates one per invocation and keeps it alive until the handler returns; a
// handler must not keep a reference past that. Methods may be called from the handler's
// thread only. The same interface is implemented by the embedded runtime and by the Lambda
// runtime loop, so a handler cannot tell where it runs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <bakery/bus.h>
#include <bakery/identity.h>
#include <bakery/table/table.h>

#include "core/json.h"

namespace bakery {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// W3C trace context of this invocation: the trace it belongs to and the span it runs in.
struct TraceContext {
  std::string traceId;       // 32 lower-case hex digits
  std::string spanId;        // this invocation's span, 16 hex digits
  std::string parentSpanId;  // the caller's span; empty when the trace started here
  bool sampled = false;

  // `00-<traceId>-<spanId>-<flags>`: what to send downstream as `traceparent`.
  std::string traceparent() const {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
  }
};

class Context {
 public:
  virtual ~Context() = default;

  virtual std::string_view requestId() const = 0;
  virtual std::string_view functionName() const = 0;
  virtual const TraceContext& trace() const = 0;
  // Time left before the platform gives up on this invocation (never negative).
  virtual std::chrono::milliseconds remaining() const = 0;
  // The function's configured environment variable `name`.
  virtual std::optional<std::string_view> env(std::string_view name) const = 0;
  // One structured log line carrying this invocation's requestId, traceId and function.
  // Fields named like secrets (password, token, authorization, ...) are redacted.
  virtual void log(LogLevel level, std::string_view message, json::object fields = {}) = 0;
  // The table store, scoped to this invocation's tenant: handles it opens cannot name
  // another tenant's items. Embedded engine under `bakery serve`, DynamoDB on AWS.
  virtual table::Tables& tables() = 0;
  // The event bus, scoped to this invocation's tenant (its buses, rules and targets).
  virtual Bus& bus() = 0;
  // The caller as the gateway's authorizer established it; null on a public route and for
  // triggers other than HTTP.
  virtual const Identity* identity() const = 0;
  // The table store and the bus of the tenant `tenant` ("" is the system scope), for
  // functions declared Tenancy::kSystem; for any other function every call through these
  // handles fails with AccessDeniedException.
  virtual table::Tables& tablesOf(std::string_view tenant) = 0;
  virtual Bus& busOf(std::string_view tenant) = 0;
};

}  // namespace bakery
