// The built-in diagnostics capability: `diag.echo` on `ANY /v1/diag/echo` returns the
// payload 2.0 event it received, so anyone can see exactly what a function gets. It is on
// by default; `"diag": false` in the configuration leaves it out.
#pragma once

#include <bakery/function.h>

namespace bakery::handlers::diag {

void wire(FunctionRegistry& registry);

}  // namespace bakery::handlers::diag
