// FunctionSpec: a function as its capability declares it, and the registry it is declared in.
//
// Registration is code-first: each capability has one wiring function that adds its
// FunctionSpecs to a FunctionRegistry; `bakery manifest` prints the result. A handler is a
// plain callable from the event (JSON, exactly what AWS Lambda would pass) to the result
// (JSON). For HTTP routes the event is an API Gateway HTTP API payload 2.0 event and the
// result is either the structured response {statusCode, headers, cookies, body,
// isBase64Encoded} or any other JSON value, which the gateway returns as 200 JSON.
//
// Handlers are called concurrently from worker threads: they must be thread-safe, and they
// should keep no per-request state outside the call (functions are stateless).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <bakery/context.h>
#include <bakery/identity.h>

#include "core/json.h"

namespace bakery {

// The handler owns its event (it is moved in), as a Lambda function owns the payload it is
// given: returning it, or parts of it, moves rather than copies. Lambdas taking
// `const json::value&` fit too.
using Handler = std::function<json::value(json::value event, Context& ctx)>;

// Idempotency (the semantics of Powertools for AWS Lambda): a repeated request with the same
// key gets the stored response instead of running the handler again.
struct IdempotencyOptions {
  // The key comes from the `Idempotency-Key` header when present, else from this JSON Pointer
  // into the parsed JSON body (e.g. "/orderId"); empty means header only. Keys are hashed.
  std::string bodyKeyPointer;
  // Without a key the request runs normally unless this is set (then: 400).
  bool keyRequired = false;
  std::chrono::seconds expiry{3600};
};

// Where a handler runs.
enum class Execution {
  // On a worker thread: the handler may block (storage, network, sleeping). The default.
  kPool,
  // On the I/O thread that received the request, with no thread hand-off: only for handlers
  // that never block (pure computation over the event). The deadline cannot interrupt such a
  // handler; it is checked when the handler returns, and a late result still becomes a 504.
  kInline,
};

// Whose data a function's Context reaches.
enum class Tenancy {
  // The caller's: tables() and bus() are scoped to the identity's tenant (the system scope
  // when the route is public). The default, and the only choice for business logic.
  kCaller,
  // Also any tenant's, named explicitly through Context::tablesOf() / busOf(): for the few
  // platform-level functions (sign-up, log-in, authorizers) that must act before a tenant is
  // known. Visible in review by design.
  kSystem,
};

// A table a capability needs. Created at start-up when missing (pay per request), listed by
// `bakery manifest`. Definitions are shared; every tenant has its own items.
struct TableSpec {
  struct Key {
    std::string name;
    char type = 'S';  // 'S', 'N' or 'B'
  };
  struct Index {
    std::string name;
    Key partitionKey;
    std::optional<Key> sortKey;  // projection: ALL
  };
  std::string name;
  Key partitionKey;
  std::optional<Key> sortKey;
  std::vector<Index> globalIndexes;
  std::string ttlAttribute;  // empty: no TTL
};

struct FunctionSpec {
  std::string name;         // `capability.verb`, e.g. `diag.echo`
  std::string description;  // one line, shown by `bakery manifest`
  Handler handler;
  // HTTP triggers with their authorization (see identity.h; a bare key needs a valid token).
  std::vector<Route> routes;
  std::chrono::milliseconds timeout{3000};  // Lambda's default
  // At most this many concurrent invocations; excess callers get 429 at once.
  std::optional<int> reservedConcurrency;
  std::map<std::string, std::string> environment;
  // JSON Schema (draft 7) the JSON request body must satisfy; failures are 400
  // ValidationException naming the field, and the handler is not called.
  std::optional<json::value> bodySchema;
  std::optional<IdempotencyOptions> idempotency;
  Execution execution = Execution::kPool;
  Tenancy tenancy = Tenancy::kCaller;
};

class FunctionRegistry {
 public:
  virtual ~FunctionRegistry() = default;
  // Declares a function. Invalid specs (duplicate name, bad route) fail start-up loudly.
  virtual void add(FunctionSpec spec) = 0;
  // Declares a table the capability's functions use. A second declaration of the same name
  // must be identical.
  virtual void addTable(TableSpec spec) = 0;
};

}  // namespace bakery
