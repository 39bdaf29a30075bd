// `bakery-testbed`: the real `bakery` command line with the testbed functions added.
#include "apps/bakery/cli.h"
#include "support/testbed_functions.h"

int main(int argc, char** argv) {
  return bakery::app::runCli(
      argc, argv,
      {{"testbed", [](bakery::FunctionRegistry& registry, const bakery::app::CapabilityServices&) {
          bakery::testing::wireTestbed(registry);
        }}});
}
