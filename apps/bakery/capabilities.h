// The capabilities compiled into a binary, in wiring order. `bakery` gets the built-in list;
// a test binary may add its own (tests/support/testbed_main.cc).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <bakery/function.h>
#include <bakery/tokens.h>

#include "core/clock.h"

namespace bakery::app {

struct ServeConfig;

// What the platform hands a capability at wiring time besides the registry. Each capability
// takes only what it needs (only `auth` takes the token issuer).
struct CapabilityServices {
  TokenIssuer& tokens;
  const core::Clock& clock;
  const ServeConfig& config;
};

struct Capability {
  std::string name;
  std::function<void(FunctionRegistry&, const CapabilityServices&)> wire;
};

// Every capability of the product, honouring switches such as `"diag": false`.
std::vector<Capability> builtinCapabilities(const ServeConfig& config);

}  // namespace bakery::app
