// ScenarioRunner: runs conformance scenarios against one TableService.
//
// The runner assumes it owns the service's tables: before and after each scenario it deletes
// every table the service lists, so each scenario starts from an empty store and may use
// fixed table names and list tables (see README.md). It creates the scenario's tables, waits
// until they are ACTIVE, runs the steps in order and stops at the first step that does not
// match. Not thread-safe; one runner per service at a time.
#pragma once

#include <string>
#include <vector>

#include "conformance/scenario.h"
#include "platform/table/table_service.h"

namespace bakery::conformance {

struct ScenarioOutcome {
  std::vector<std::string> failures;  // empty: the scenario passed
  std::vector<std::string> notes;     // steps skipped on this backend, with the reason
};

class ScenarioRunner {
 public:
  // `backend` names the implementation ("dynalite", "embedded", "endpoint"): the key of the
  // scenarios' "skip" maps.
  ScenarioRunner(table::TableService& service, std::string backend);

  // Runs `scenario` (ignoring a scenario-level skip; the caller decides about that).
  ScenarioOutcome run(const Scenario& scenario);

 private:
  table::TableService& service_;
  std::string backend_;
};

}  // namespace bakery::conformance
