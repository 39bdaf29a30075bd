#include "conformance/scenario_runner.h"

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "conformance/json_match.h"

namespace bakery::conformance {
namespace {

using Clock = std::chrono::steady_clock;
// How long the runner waits for a table to become ACTIVE or to disappear. dynalite and the
// embedded engine change state at once; the bound only keeps a broken backend from hanging.
constexpr auto kTableStateTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(5);
constexpr std::size_t kBatchWriteLimit = 25;

// Saved values by name; nullopt when the saved response member was missing.
using Variables = std::map<std::string, std::optional<json::value>>;

// Substitutes {"$var": name} and {"$repeat": s, "times": n} in `v`. An object member whose
// variable was saved as missing is left out (an ExclusiveStartKey after the last page).
class Substitution {
 public:
  explicit Substitution(const Variables& vars) : vars_(vars) {}

  std::optional<json::value> apply(const json::value& v) {
    if (v.is_array()) {
      json::array out;
      for (const auto& element : v.get_array()) {
        auto r = apply(element);
        if (!r) {
          fail("a variable inside an array was saved as missing");
          continue;
        }
        out.push_back(std::move(*r));
      }
      return json::value(std::move(out));
    }
    if (!v.is_object()) return v;
    const json::object& obj = v.get_object();
    if (obj.size() == 1 && obj.contains("$var")) {
      const auto* name = obj.at("$var").if_string();
      auto it = name ? vars_.find(std::string(*name)) : vars_.end();
      if (it == vars_.end()) {
        fail("undefined variable " + core::toJson(obj.at("$var")));
        return json::value(nullptr);
      }
      return it->second;
    }
    if (obj.size() == 2 && obj.contains("$repeat") && obj.contains("times")) {
      const auto* unit = obj.at("$repeat").if_string();
      auto times = core::integerValue(obj.at("times"));
      if (!unit || !times || *times < 0) {
        fail("$repeat needs a string and a non-negative \"times\"");
        return json::value(nullptr);
      }
      std::string out;
      out.reserve(unit->size() * static_cast<std::size_t>(*times));
      for (std::int64_t i = 0; i < *times; ++i) out.append(unit->data(), unit->size());
      return json::value(out);
    }
    json::object out;
    for (const auto& [key, member] : obj) {
      if (auto r = apply(member)) out[key] = std::move(*r);
    }
    return json::value(std::move(out));
  }

  json::object applyToObject(const json::object& obj) {
    auto r = apply(json::value(obj));
    return r && r->is_object() ? r->get_object() : json::object{};
  }

  const std::string& error() const { return error_; }

 private:
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  const Variables& vars_;
  std::string error_;
};

// Replaces "{i}" in every string of `v` with `index`.
void fillIndex(json::value& v, const std::string& index) {
  if (v.is_string()) {
    std::string s(v.get_string());
    for (std::size_t at = s.find("{i}"); at != std::string::npos; at = s.find("{i}", at)) {
      s.replace(at, 3, index);
      at += index.size();
    }
    v = s;
  } else if (v.is_array()) {
    for (auto& element : v.get_array()) fillIndex(element, index);
  } else if (v.is_object()) {
    for (auto& member : v.get_object()) fillIndex(member.value(), index);
  }
}

// The error as DynamoDB's error document shows it, for failure messages.
json::object errorDocument(const core::Error& e) {
  json::object doc;
  if (!e.details().empty()) {
    auto details = core::parseJson(e.details(), "error details");
    if (details && details->is_object()) doc = details->get_object();
  }
  doc["__type"] = e.type();
  doc["message"] = e.message();
  return doc;
}

json::object detailsOf(const core::Error& e) {
  if (e.details().empty()) return {};
  auto details = core::parseJson(e.details(), "error details");
  if (details && details->is_object()) return details->get_object();
  return json::object{{"$unparsable", e.details()}};
}

class ScenarioRun {
 public:
  ScenarioRun(table::TableService& service, const std::string& backend)
      : service_(service), backend_(backend) {}

  ScenarioOutcome run(const Scenario& scenario) {
    if (!resetTables("before the scenario")) return std::move(outcome_);
    if (createTables(scenario)) {
      std::size_t index = 0;
      for (const auto& step : scenario.steps) {
        ++index;
        if (auto skip = step.skip.find(backend_); skip != step.skip.end()) {
          outcome_.notes.push_back("step " + std::to_string(index) + " (" + step.op +
                                   ") skipped on " + backend_ + ": " + skip->second);
          continue;
        }
        if (!runStep(index, step)) break;
      }
    }
    resetTables("after the scenario");
    return std::move(outcome_);
  }

 private:
  bool fail(std::string message) {
    outcome_.failures.push_back(std::move(message));
    return false;
  }

  core::Result<json::object> call(table::Operation op, const json::object& request) {
    return service_.call(op, request);
  }

  bool resetTables(const std::string& when) {
    const auto deadline = Clock::now() + kTableStateTimeout;
    while (true) {
      std::vector<std::string> names;
      json::object request;
      while (true) {
        auto page = call(table::Operation::kListTables, request);
        if (!page) {
          return fail("ListTables " + when + " failed: " + page.error().type() + ": " +
                      page.error().message());
        }
        if (const auto* list = page->if_contains("TableNames"); list && list->is_array()) {
          for (const auto& n : list->get_array()) {
            if (n.is_string()) names.emplace_back(n.get_string());
          }
        }
        const auto* last = page->if_contains("LastEvaluatedTableName");
        if (!last) break;
        request["ExclusiveStartTableName"] = *last;
      }
      if (names.empty()) return true;
      if (Clock::now() > deadline) {
        std::string listed;
        for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
        return fail("tables still listed " + when + ": " + listed);
      }
      for (const auto& name : names) {
        // Tables still being created or deleted refuse; the next round retries.
        (void)call(table::Operation::kDeleteTable, json::object{{"TableName", name}});
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  bool createTables(const Scenario& scenario) {
    for (const auto& request : scenario.tables) {
      auto created = call(table::Operation::kCreateTable, request);
      if (!created) {
        return fail("creating table " +
                    core::toJson(request.contains("TableName") ? request.at("TableName")
                                                               : json::value(nullptr)) +
                    " failed: " + created.error().type() + ": " + created.error().message());
      }
    }
    for (const auto& request : scenario.tables) {
      if (const auto* name = request.if_contains("TableName"); name && name->is_string()) {
        if (!waitForTable(std::string(name->get_string()), "setup")) return false;
      }
    }
    return true;
  }

  bool waitForTable(const std::string& name, const std::string& where) {
    const auto deadline = Clock::now() + kTableStateTimeout;
    std::string last;
    while (Clock::now() < deadline) {
      auto described = call(table::Operation::kDescribeTable, json::object{{"TableName", name}});
      if (!described) {
        last = described.error().type() + ": " + described.error().message();
      } else {
        const auto* table = described->if_contains("Table");
        bool active = table && table->is_object() && table->get_object().contains("TableStatus") &&
                      table->get_object().at("TableStatus") == "ACTIVE";
        if (active) {
          if (const auto* gsis = table->get_object().if_contains("GlobalSecondaryIndexes");
              gsis && gsis->is_array()) {
            for (const auto& gsi : gsis->get_array()) {
              const auto* status =
                  gsi.is_object() ? gsi.get_object().if_contains("IndexStatus") : nullptr;
              if (status && *status != "ACTIVE") active = false;
            }
          }
        }
        if (active) return true;
        last = core::toJson(*table);
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    return fail(where + ": table " + name + " did not become ACTIVE; last: " + last);
  }

  bool waitForTableDeleted(const std::string& name, const std::string& where) {
    const auto deadline = Clock::now() + kTableStateTimeout;
    while (Clock::now() < deadline) {
      auto described = call(table::Operation::kDescribeTable, json::object{{"TableName", name}});
      if (!described && described.error().type() == "ResourceNotFoundException") return true;
      std::this_thread::sleep_for(kPollInterval);
    }
    return fail(where + ": table " + name + " still exists");
  }

  std::string describeStep(std::size_t index, const Step& step) {
    return "step " + std::to_string(index) + " (" + step.op + ")";
  }

  bool runStep(std::size_t index, const Step& step) {
    switch (step.kind) {
      case Step::Kind::kPutMany:
        return putMany(index, step);
      case Step::Kind::kWaitForTable:
        return waitForTable(step.table, describeStep(index, step));
      case Step::Kind::kWaitForTableDeleted:
        return waitForTableDeleted(step.table, describeStep(index, step));
      case Step::Kind::kCheck:
        return check(index, step);
      case Step::Kind::kCall:
        return callStep(index, step);
    }
    return fail(describeStep(index, step) + ": unknown step kind");
  }

  bool putMany(std::size_t index, const Step& step) {
    Substitution sub(vars_);
    json::object itemTemplate = sub.applyToObject(step.itemTemplate);
    if (!sub.error().empty()) return fail(describeStep(index, step) + ": " + sub.error());
    json::array pending;
    for (std::int64_t i = step.start; i < step.start + step.count; ++i) {
      std::string number = std::to_string(i);
      if (number.size() < static_cast<std::size_t>(step.pad)) {
        number.insert(0, static_cast<std::size_t>(step.pad) - number.size(), '0');
      }
      json::value item(itemTemplate);
      fillIndex(item, number);
      pending.push_back(json::object{{"PutRequest", json::object{{"Item", std::move(item)}}}});
    }
    std::size_t at = 0;
    json::array retry;
    while (at < pending.size() || !retry.empty()) {
      json::array chunk = std::move(retry);
      retry = {};
      while (chunk.size() < kBatchWriteLimit && at < pending.size()) {
        chunk.push_back(pending[at++]);
      }
      json::object request{{"RequestItems", json::object{{step.table, std::move(chunk)}}}};
      auto written = call(table::Operation::kBatchWriteItem, request);
      if (!written) {
        return fail(describeStep(index, step) + ": BatchWriteItem failed: " +
                    written.error().type() + ": " + written.error().message());
      }
      if (const auto* unprocessed = written->if_contains("UnprocessedItems");
          unprocessed && unprocessed->is_object()) {
        if (const auto* left = unprocessed->get_object().if_contains(step.table);
            left && left->is_array()) {
          retry = left->get_array();
        }
      }
    }
    return true;
  }

  bool check(std::size_t index, const Step& step) {
    auto it = vars_.find(step.var);
    if (it == vars_.end()) return fail(describeStep(index, step) + ": no variable " + step.var);
    Substitution sub(vars_);
    auto expected = sub.apply(step.value);
    if (!sub.error().empty()) return fail(describeStep(index, step) + ": " + sub.error());
    json::value actual = it->second ? *it->second : json::value("$absent");
    if (auto m = findMismatch(expected ? *expected : json::value("$absent"), actual)) {
      return fail(describeStep(index, step) + ": variable " + step.var + " differs at " + m->path +
                  ": " + m->reason + "\nexpected:\n" +
                  prettyJson(expected ? *expected : json::value(nullptr)) + "\nactual:\n" +
                  prettyJson(actual));
    }
    return true;
  }

  bool callStep(std::size_t index, const Step& step) {
    Substitution sub(vars_);
    json::object request = sub.applyToObject(step.request);
    if (!sub.error().empty()) return fail(describeStep(index, step) + ": " + sub.error());
    auto result = call(step.operation, request);
    const std::string head = describeStep(index, step);
    auto report = [&](const std::string& what, const json::value& expected,
                      const json::value& actual) {
      std::string requestText = prettyJson(json::value(request));
      if (requestText.size() > 4000) requestText = requestText.substr(0, 4000) + "\n...";
      return fail(head + ": " + what + "\nrequest:\n" + requestText + "\nexpected:\n" +
                  prettyJson(expected) + "\nactual:\n" + prettyJson(actual));
    };

    if (step.error) {
      const ExpectedError& want = *step.error;
      json::object wantDoc{{"__type", want.type}};
      if (want.message) wantDoc["message"] = *want.message;
      if (want.messagePrefix) wantDoc["messagePrefix"] = *want.messagePrefix;
      if (want.messageSuffix) wantDoc["messageSuffix"] = *want.messageSuffix;
      if (want.details) {
        for (const auto& [k, v] : *want.details) wantDoc[k] = v;
      }
      if (result) return report("expected an error, the call succeeded", wantDoc, *result);
      const core::Error& got = result.error();
      const json::value gotDoc(errorDocument(got));
      if (got.type() != want.type) return report("error type differs", wantDoc, gotDoc);
      if (want.message && got.message() != *want.message) {
        return report("error message differs", wantDoc, gotDoc);
      }
      if (want.messagePrefix && got.message().rfind(*want.messagePrefix, 0) != 0) {
        return report("error message does not start with the expected text", wantDoc, gotDoc);
      }
      if (want.messageSuffix &&
          (got.message().size() < want.messageSuffix->size() ||
           got.message().compare(got.message().size() - want.messageSuffix->size(),
                                 want.messageSuffix->size(), *want.messageSuffix) != 0)) {
        return report("error message does not end with the expected text", wantDoc, gotDoc);
      }
      if (want.details) {
        json::object details = sub.applyToObject(*want.details);
        if (auto m = findMismatchInListedMembers(details, detailsOf(got))) {
          return report("error details differ at " + m->path + ": " + m->reason, wantDoc, gotDoc);
        }
      }
      return true;
    }

    if (!result) {
      return report("unexpected error " + result.error().type() + ": " + result.error().message(),
                    step.expect ? json::value(*step.expect) : json::value("success"),
                    errorDocument(result.error()));
    }
    if (step.expect) {
      json::object expected = sub.applyToObject(*step.expect);
      if (!sub.error().empty()) return fail(head + ": " + sub.error());
      if (auto m = findMismatchInListedMembers(expected, *result)) {
        return report("response differs at " + m->path + ": " + m->reason, expected, *result);
      }
    }
    for (const auto& [var, member] : step.save) {
      const auto* v = result->if_contains(member);
      vars_[var] = v ? std::optional<json::value>(*v) : std::nullopt;
    }
    for (const auto& [var, member] : step.collect) {
      auto& slot = vars_[var];
      if (!slot || !slot->is_array()) slot = json::value(json::array{});
      if (const auto* v = result->if_contains(member); v && v->is_array()) {
        for (const auto& element : v->get_array()) slot->get_array().push_back(element);
      }
    }
    return true;
  }

  table::TableService& service_;
  const std::string& backend_;
  Variables vars_;
  ScenarioOutcome outcome_;
};

}  // namespace

ScenarioRunner::ScenarioRunner(table::TableService& service, std::string backend)
    : service_(service), backend_(std::move(backend)) {}

ScenarioOutcome ScenarioRunner::run(const Scenario& scenario) {
  return ScenarioRun(service_, backend_).run(scenario);
}

}  // namespace bakery::conformance
