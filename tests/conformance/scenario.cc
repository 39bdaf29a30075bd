#include "conformance/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <stdexcept>

namespace bakery::conformance {
namespace {

// A malformed scenario file is a bug in the suite: parsing stops at the first problem and
// the loader turns it into a failing test, so exceptions stay inside this file.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void requireOnly(const json::object& obj, std::initializer_list<std::string_view> allowed,
                 const std::string& where) {
  for (const auto& [key, value] : obj) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw FormatError(where + ": unknown member \"" + std::string(key) + "\"");
    }
  }
}

const json::object& objectAt(const json::object& obj, std::string_view key,
                             const std::string& where) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_object()) {
    throw FormatError(where + ": \"" + std::string(key) + "\" must be an object");
  }
  return v->get_object();
}

std::string stringAt(const json::object& obj, std::string_view key, const std::string& where) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_string()) {
    throw FormatError(where + ": \"" + std::string(key) + "\" must be a string");
  }
  return std::string(v->get_string());
}

std::int64_t integerAt(const json::object& obj, std::string_view key, std::int64_t fallback,
                       const std::string& where) {
  const auto* v = obj.if_contains(key);
  if (!v) return fallback;
  auto n = core::integerValue(*v);
  if (!n) throw FormatError(where + ": \"" + std::string(key) + "\" must be an integer");
  return *n;
}

std::map<std::string, std::string> stringMap(const json::object& obj, std::string_view key,
                                             const std::string& where) {
  std::map<std::string, std::string> out;
  if (!obj.contains(key)) return out;
  for (const auto& [k, v] : objectAt(obj, key, where)) {
    if (!v.is_string()) {
      throw FormatError(where + ": \"" + std::string(key) + "\" must map names to strings");
    }
    out.emplace(std::string(k), std::string(v.get_string()));
  }
  return out;
}

ExpectedError parseError(const json::object& obj, const std::string& where) {
  requireOnly(obj, {"type", "message", "messagePrefix", "messageSuffix", "details"}, where);
  ExpectedError e;
  e.type = stringAt(obj, "type", where);
  if (obj.contains("message")) e.message = stringAt(obj, "message", where);
  if (obj.contains("messagePrefix")) e.messagePrefix = stringAt(obj, "messagePrefix", where);
  if (obj.contains("messageSuffix")) e.messageSuffix = stringAt(obj, "messageSuffix", where);
  if (e.message && (e.messagePrefix || e.messageSuffix)) {
    throw FormatError(where + ": \"message\" excludes \"messagePrefix\" and \"messageSuffix\"");
  }
  if (!e.message && !e.messagePrefix && !e.messageSuffix) {
    throw FormatError(where + ": an expected error states its \"message\" or \"messagePrefix\"");
  }
  if (obj.contains("details")) e.details = objectAt(obj, "details", where);
  return e;
}

Step parseStep(const json::object& obj, const std::string& where) {
  Step step;
  step.op = stringAt(obj, "op", where);
  const std::string at = where + " (" + step.op + ")";
  step.skip = stringMap(obj, "skip", at);
  if (step.op == "$putMany") {
    requireOnly(obj, {"op", "table", "count", "start", "pad", "template", "skip"}, at);
    step.kind = Step::Kind::kPutMany;
    step.table = stringAt(obj, "table", at);
    step.count = integerAt(obj, "count", 0, at);
    step.start = integerAt(obj, "start", 0, at);
    step.pad = static_cast<int>(integerAt(obj, "pad", 0, at));
    step.itemTemplate = objectAt(obj, "template", at);
    if (step.count <= 0) throw FormatError(at + ": \"count\" must be positive");
    return step;
  }
  if (step.op == "$check") {
    requireOnly(obj, {"op", "var", "expect", "skip"}, at);
    step.kind = Step::Kind::kCheck;
    step.var = stringAt(obj, "var", at);
    const auto* v = obj.if_contains("expect");
    if (!v) throw FormatError(at + ": \"expect\" is required");
    step.value = *v;
    return step;
  }
  if (step.op == "$waitForTable" || step.op == "$waitForTableDeleted") {
    requireOnly(obj, {"op", "table", "skip"}, at);
    step.kind =
        step.op == "$waitForTable" ? Step::Kind::kWaitForTable : Step::Kind::kWaitForTableDeleted;
    step.table = stringAt(obj, "table", at);
    return step;
  }
  requireOnly(obj, {"op", "request", "expect", "error", "save", "collect", "skip"}, at);
  auto operation = table::operationFromName(step.op);
  if (!operation) throw FormatError(at + ": unknown operation");
  step.operation = *operation;
  step.request = objectAt(obj, "request", at);
  if (obj.contains("expect")) step.expect = objectAt(obj, "expect", at);
  if (obj.contains("error")) step.error = parseError(objectAt(obj, "error", at), at + " error");
  if (step.expect && step.error) {
    throw FormatError(at + ": \"expect\" and \"error\" exclude each other");
  }
  step.save = stringMap(obj, "save", at);
  step.collect = stringMap(obj, "collect", at);
  return step;
}

bool isScenarioName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Scenario parseScenario(const json::object& obj, const std::string& group) {
  Scenario s;
  s.group = group;
  s.name = stringAt(obj, "name", group);
  const std::string where = group + "/" + s.name;
  if (!isScenarioName(s.name)) throw FormatError(where + ": names are [a-z0-9_]+");
  requireOnly(obj, {"name", "description", "skip", "tables", "steps"}, where);
  if (obj.contains("description")) s.description = stringAt(obj, "description", where);
  s.skip = stringMap(obj, "skip", where);
  if (const auto* tables = obj.if_contains("tables")) {
    if (!tables->is_array()) throw FormatError(where + ": \"tables\" must be an array");
    for (const auto& t : tables->get_array()) {
      if (!t.is_object()) throw FormatError(where + ": each table is a CreateTable request");
      s.tables.push_back(t.get_object());
    }
  }
  const auto* steps = obj.if_contains("steps");
  if (!steps || !steps->is_array() || steps->get_array().empty()) {
    throw FormatError(where + ": \"steps\" must be a non-empty array");
  }
  std::size_t index = 0;
  for (const auto& st : steps->get_array()) {
    ++index;
    const std::string at = where + " step " + std::to_string(index);
    if (!st.is_object()) throw FormatError(at + ": a step is an object");
    s.steps.push_back(parseStep(st.get_object(), at));
  }
  return s;
}

}  // namespace

ScenarioFiles parseScenarioFile(std::string_view text, const std::string& group) {
  ScenarioFiles out;
  auto doc = core::parseJson(text, group);
  if (!doc) {
    out.problems.push_back(group + ": " + doc.error().message());
    return out;
  }
  const auto* scenarios = doc->is_object() ? doc->get_object().if_contains("scenarios") : nullptr;
  if (!scenarios || !scenarios->is_array() || doc->get_object().size() != 1) {
    out.problems.push_back(group + ": a file is {\"scenarios\": [...]}");
    return out;
  }
  std::set<std::string> names;
  for (const auto& s : scenarios->get_array()) {
    try {
      if (!s.is_object()) throw FormatError(group + ": each scenario is an object");
      Scenario scenario = parseScenario(s.get_object(), group);
      if (!names.insert(scenario.name).second) {
        throw FormatError(group + "/" + scenario.name + ": name used twice");
      }
      out.scenarios.push_back(std::move(scenario));
    } catch (const FormatError& e) {
      out.problems.push_back(e.what());
    }
  }
  return out;
}

ScenarioFiles loadScenarioFiles(const std::string& dir) {
  ScenarioFiles out;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) {
    out.problems.push_back(dir + ": " + ec.message());
    return out;
  }
  if (files.empty()) out.problems.push_back(dir + ": no scenario files");
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    ScenarioFiles one = parseScenarioFile(text.str(), path.stem().string());
    for (auto& s : one.scenarios) out.scenarios.push_back(std::move(s));
    for (auto& p : one.problems) out.problems.push_back(std::move(p));
  }
  return out;
}

}  // namespace bakery::conformance
