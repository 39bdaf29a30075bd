// The capabilities compiled into a binary, in wiring order. `bakery` gets the built-in list;
// a test binary may add its own (tests/support/testbed_main.cc).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <bakery/function.h>

namespace bakery::app {

struct ServeConfig;

struct Capability {
  std::string name;
  std::function<void(FunctionRegistry&)> wire;
};

// Every capability of the product, honouring switches such as `"diag": false`.
std::vector<Capability> builtinCapabilities(const ServeConfig& config);

}  // namespace bakery::app
