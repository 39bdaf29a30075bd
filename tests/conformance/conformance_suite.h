// The DynamoDB conformance suite as GoogleTest cases: one test per scenario file entry
// ("<backend>_<group>.<scenario>"); a backend binary runs them all in one process (one
// backend start-up) as one CTest test. Its main() is one line:
//
//   int main(int argc, char** argv) {
//     return bakery::conformance::runConformanceMain<MyBackend>(argc, argv, "embedded");
//   }
//
// (or registerConformanceSuite() by hand, between InitGoogleTest and RUN_ALL_TESTS). The
// backend factory is called (on the test thread) by every test that is not skipped; it returns the
// same service each time and may throw when the backend cannot start, which fails the test
// loudly. The runner deletes every table of that service before and after each scenario, so
// the service must belong to this binary alone. Scenario files that cannot be read become
// failing tests named "<backend>_load.<n>".
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "platform/table/table_service.h"

namespace bakery::conformance {

using BackendFactory = std::function<table::TableService&()>;

void registerConformanceSuite(const std::string& scenarioDir, const std::string& backendName,
                              BackendFactory backend);

// The whole main() of a backend binary: `Backend` (default-constructible, offering
// `table::TableService& service()`) is started by the first test that runs and stopped
// after the last one.
template <class Backend>
int runConformanceMain(int argc, char** argv, const std::string& backendName) {
  ::testing::InitGoogleTest(&argc, argv);
  std::optional<Backend> backend;
  registerConformanceSuite(BAKERY_CONFORMANCE_SCENARIO_DIR, backendName,
                           [&]() -> table::TableService& {
                             if (!backend) backend.emplace();
                             return backend->service();
                           });
  int rc = RUN_ALL_TESTS();
  backend.reset();
  return rc;
}

}  // namespace bakery::conformance
