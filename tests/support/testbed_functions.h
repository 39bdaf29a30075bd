// Functions that exist only in the `bakery-testbed` binary: they let integration tests make a
// real `serve` process block, throw, sleep, log secrets or return any result, so that the
// gateway and runtime can be observed from outside over HTTP. Written against the SDK only,
// like a capability.
#pragma once

#include <bakery/function.h>

namespace bakery::testing {

void wireTestbed(FunctionRegistry& registry);

}  // namespace bakery::testing
