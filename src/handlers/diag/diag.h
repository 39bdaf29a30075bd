// The built-in diagnostics capability: `diag.echo` on `ANY /v1/diag/echo` returns the
// payload 2.0 event it received, so anyone can see exactly what a function gets;
// `ANY /v1/diag/echo-authorized` does the same behind the authorizer (an access token or an
// API key), so the caller sees the identity the function gets. It is on
// by default; `"diag": false` in the configuration leaves it out.
#pragma once

#include <bakery/function.h>

namespace bakery::handlers::diag {

void wire(FunctionRegistry& registry);

}  // namespace bakery::handlers::diag
