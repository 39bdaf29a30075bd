#include "handlers/diag/diag.h"

namespace bakery::handlers::diag {

void wire(FunctionRegistry& registry) {
  registry.add(FunctionSpec{
      .name = "diag.echo",
      .description = "Returns the API Gateway payload 2.0 event it received.",
      // Returning a non-response JSON value: the gateway answers 200 application/json with it.
      .handler = [](json::value event, Context&) { return event; },
      // The same function behind a public route and behind one that needs an access token:
      // the difference between the two is the authorizer's cost, nothing else.
      .routes = {{"ANY /v1/diag/echo", Authorization::none()},
                 {"ANY /v1/diag/echo-authorized", Authorization::apiKeyOrToken()}},
      .timeout = std::chrono::seconds(3),
      // Pure computation over the event: no reason to hand it to a worker thread.
      .execution = Execution::kInline,
  });
}

}  // namespace bakery::handlers::diag
