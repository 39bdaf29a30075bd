// The `bakery` command line: serve, manifest, invoke, version.
#pragma once

#include <vector>

#include "apps/bakery/capabilities.h"

namespace bakery::app {

// Runs the command in argv with the built-in capabilities plus `extra`; returns the exit code.
int runCli(int argc, char** argv, const std::vector<Capability>& extra = {});

}  // namespace bakery::app
