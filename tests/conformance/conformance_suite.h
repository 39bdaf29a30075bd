// The DynamoDB conformance suite as GoogleTest cases: one test per scenario file entry, so
// each scenario is its own CTest test ("<backend>_<group>.<scenario>").
//
// A backend test binary calls registerConformanceSuite() from its main() after
// testing::InitGoogleTest() and before RUN_ALL_TESTS():
//
//   std::optional<MyBackend> backend;  // started on first use, stopped when main returns
//   bakery::conformance::registerConformanceSuite(
//       BAKERY_CONFORMANCE_SCENARIO_DIR, "embedded",
//       [&]() -> bakery::table::TableService& {
//         if (!backend) backend.emplace();
//         return backend->service();
//       });
//
// `backend` is called (on the test thread) by every test that is not skipped; it returns the
// same service each time and may throw when the backend cannot start, which fails the test
// loudly. The runner deletes every table of that service before and after each scenario, so
// the service must belong to this binary alone. Scenario files that cannot be read become
// failing tests named "<backend>_load.<n>".
#pragma once

#include <functional>
#include <string>

#include "platform/table/table_service.h"

namespace bakery::conformance {

using BackendFactory = std::function<table::TableService&()>;

void registerConformanceSuite(const std::string& scenarioDir, const std::string& backendName,
                              BackendFactory backend);

}  // namespace bakery::conformance
