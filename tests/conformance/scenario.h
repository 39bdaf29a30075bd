// Scenario: one conformance case read from a data file under tests/conformance/dynamodb/.
//
// A scenario names the tables it needs (CreateTable requests) and a list of steps; each step
// calls one DynamoDB operation and states the response or the error DynamoDB gives, or is one
// of the runner's own steps ($putMany, $check, $waitForTable, $waitForTableDeleted). README.md in
// this folder documents the file format. Loading validates the whole file (unknown members are
// errors, so a misspelt "expect" cannot silently check nothing). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "platform/table/table_service.h"

namespace bakery::conformance {

struct ExpectedError {
  std::string type;                          // error name without namespace prefix
  std::optional<std::string> message;        // compared exactly ...
  std::optional<std::string> messagePrefix;  // ... or by its beginning
  std::optional<std::string> messageSuffix;  // ... and/or its end
  std::optional<json::object> details;       // members of the error document beyond the message
};

struct Step {
  enum class Kind { kCall, kPutMany, kCheck, kWaitForTable, kWaitForTableDeleted };
  Kind kind = Kind::kCall;
  std::string op;  // "PutItem", or the runner step's name ("$putMany", ...)
  table::Operation operation = table::Operation::kGetItem;  // kCall only
  json::object request;                                     // kCall
  std::optional<json::object> expect;                       // kCall: listed members
  std::optional<ExpectedError> error;                       // kCall
  std::map<std::string, std::string> save;                  // variable -> top-level response member
  std::map<std::string, std::string> collect;  // variable -> array member appended to it
  std::map<std::string, std::string> skip;     // backend -> reason
  // kPutMany: `count` copies of `itemTemplate` written to `table` with BatchWriteItem, "{i}"
  // in every string replaced by start, start+1, ... (left-padded with zeros to `pad` digits).
  // kWaitForTable: waits until `table` and its indexes are ACTIVE; kWaitForTableDeleted: until
  // DescribeTable no longer finds `table`.
  std::string table;
  std::int64_t count = 0;
  std::int64_t start = 0;
  int pad = 0;
  json::object itemTemplate;
  // kCheck: the variable `var` must match `value`.
  std::string var;
  json::value value;
};

struct Scenario {
  std::string group;  // the file's name without ".json"
  std::string name;
  std::string description;
  std::map<std::string, std::string> skip;  // backend -> reason
  std::vector<json::object> tables;         // CreateTable requests
  std::vector<Step> steps;
};

struct ScenarioFiles {
  std::vector<Scenario> scenarios;
  std::vector<std::string> problems;  // "<file>: <what is wrong>", one per unreadable scenario
};

// Every scenario of every *.json file in `dir`, files in name order.
ScenarioFiles loadScenarioFiles(const std::string& dir);

// One file's scenarios; problems name `group`.
ScenarioFiles parseScenarioFile(std::string_view text, const std::string& group);

}  // namespace bakery::conformance
