#include "platform/runtime/function_catalog.h"

#include <regex>
#include <stdexcept>

#include <fmt/format.h>

namespace bakery::runtime {

namespace {

// Lambda's range: at least 1 ms, at most 15 minutes. Code and configuration obey the same.
bool timeoutInRange(std::chrono::milliseconds t) {
  return t > std::chrono::milliseconds(0) && t <= FunctionCatalog::kMaxTimeout;
}

}  // namespace

json::object authorizationJson(const Authorization& a) {
  json::object out;
  if (a.isPublic) {
    out["type"] = "NONE";
    return out;
  }
  out["type"] = a.acceptApiKeys ? (a.acceptTokens ? "JWT_OR_API_KEY" : "API_KEY") : "JWT";
  json::array scopes(a.scopes.begin(), a.scopes.end());
  json::array roles(a.roles.begin(), a.roles.end());
  out["scopes"] = std::move(scopes);
  out["roles"] = std::move(roles);
  return out;
}

namespace {

bool sameKey(const TableSpec::Key& a, const TableSpec::Key& b) {
  return a.name == b.name && a.type == b.type;
}

bool sameTable(const TableSpec& a, const TableSpec& b) {
  auto sameOptional = [](const std::optional<TableSpec::Key>& x,
                         const std::optional<TableSpec::Key>& y) {
    return x.has_value() == y.has_value() && (!x || sameKey(*x, *y));
  };
  if (!sameKey(a.partitionKey, b.partitionKey) || !sameOptional(a.sortKey, b.sortKey) ||
      a.ttlAttribute != b.ttlAttribute || a.globalIndexes.size() != b.globalIndexes.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.globalIndexes.size(); ++i) {
    const auto& x = a.globalIndexes[i];
    const auto& y = b.globalIndexes[i];
    if (x.name != y.name || !sameKey(x.partitionKey, y.partitionKey) ||
        !sameOptional(x.sortKey, y.sortKey)) {
      return false;
    }
  }
  return true;
}

}  // namespace

FunctionCatalog::FunctionCatalog(observability::MetricsRegistry& metrics) : metrics_(metrics) {}

void FunctionCatalog::add(FunctionSpec spec) {
  static const std::regex kName("[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)+");
  if (!std::regex_match(spec.name, kName) || spec.name.size() > 64) {
    throw std::invalid_argument(
        fmt::format("function name '{}' must look like 'capability.verb' (lower case)", spec.name));
  }
  if (byName_.contains(spec.name)) {
    throw std::invalid_argument(fmt::format("function '{}' registered twice", spec.name));
  }
  if (!spec.handler)
    throw std::invalid_argument(fmt::format("function '{}' has no handler", spec.name));
  if (!timeoutInRange(spec.timeout)) {
    throw std::invalid_argument(
        fmt::format("function '{}': timeout must be 1 ms to 15 min", spec.name));
  }
  if (spec.reservedConcurrency && *spec.reservedConcurrency < 0) {
    throw std::invalid_argument(fmt::format("function '{}': reserved concurrency < 0", spec.name));
  }
  for (const auto& route : spec.routes) {
    const Authorization& a = route.authorization;
    if (!a.isPublic && !a.acceptTokens && !a.acceptApiKeys) {
      throw std::invalid_argument(
          fmt::format("function '{}': route '{}' accepts no credential and is not public",
                      spec.name, route.key));
    }
  }
  auto fn = std::make_unique<RegisteredFunction>();
  if (spec.bodySchema) {
    auto compiled = BodySchema::compile(*spec.bodySchema);
    if (!compiled) {
      throw std::invalid_argument(
          fmt::format("function '{}': {}", spec.name, compiled.error().message()));
    }
    fn->bodySchema.emplace(std::move(compiled).value());
  }
  observability::Labels labels{{"function", spec.name}};
  fn->invocations = &metrics_.counter("bakery_function_invocations_total",
                                      "Invocations started, by function.", labels);
  fn->errors = &metrics_.counter("bakery_function_errors_total",
                                 "Invocations that failed (exception or timeout).", labels);
  fn->throttles = &metrics_.counter("bakery_function_throttles_total",
                                    "Invocations refused at reserved concurrency (429).", labels);
  fn->timeouts = &metrics_.counter("bakery_function_timeouts_total",
                                   "Invocations that passed their deadline (504).", labels);
  fn->duration = &metrics_.histogram("bakery_function_duration_seconds",
                                     "Handler run time, by function.", labels);
  fn->spec = std::move(spec);
  byName_.emplace(fn->spec.name, fn.get());
  functions_.push_back(std::move(fn));
}

core::Result<void> FunctionCatalog::configure(std::string_view name,
                                              const FunctionOverrides& overrides) {
  RegisteredFunction* fn = find(name);
  if (!fn) {
    return core::Error::validation(fmt::format("config: functions.{}: no such function", name),
                                   fmt::format("functions.{}", name));
  }
  if (overrides.timeout && !timeoutInRange(*overrides.timeout)) {
    return core::Error::validation(
        fmt::format("config: functions.{}.timeoutMs: must be 1 ms to 15 min", name),
        fmt::format("functions.{}.timeoutMs", name));
  }
  if (overrides.reservedConcurrency && *overrides.reservedConcurrency < 0) {
    return core::Error::validation(
        fmt::format("config: functions.{}.reservedConcurrency: must be >= 0", name),
        fmt::format("functions.{}.reservedConcurrency", name));
  }
  if (overrides.timeout) fn->spec.timeout = *overrides.timeout;
  if (overrides.reservedConcurrency) fn->spec.reservedConcurrency = overrides.reservedConcurrency;
  if (overrides.execution) fn->spec.execution = *overrides.execution;
  for (const auto& [k, v] : overrides.environment) fn->spec.environment[k] = v;
  return {};
}

void FunctionCatalog::addTable(TableSpec spec) {
  static const std::regex kTableName("[a-zA-Z0-9_.-]{3,255}");
  if (!std::regex_match(spec.name, kTableName) || spec.partitionKey.name.empty()) {
    throw std::invalid_argument(fmt::format("table '{}': bad name or key", spec.name));
  }
  for (const auto& existing : tables_) {
    if (existing.name != spec.name) continue;
    if (!sameTable(existing, spec)) {
      throw std::invalid_argument(
          fmt::format("table '{}' declared twice with different definitions", spec.name));
    }
    return;
  }
  tables_.push_back(std::move(spec));
}

const RegisteredFunction* FunctionCatalog::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

RegisteredFunction* FunctionCatalog::find(std::string_view name) {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<const RegisteredFunction*> FunctionCatalog::all() const {
  std::vector<const RegisteredFunction*> out;
  for (const auto& fn : functions_) out.push_back(fn.get());
  return out;
}

json::object tableJson(const TableSpec& t) {
  auto key = [](const TableSpec::Key& k, const char* type) {
    return json::object{{"AttributeName", k.name}, {"KeyType", type}};
  };
  json::object attributes;
  auto define = [&](const TableSpec::Key& k) { attributes[k.name] = std::string(1, k.type); };
  json::array schema{key(t.partitionKey, "HASH")};
  define(t.partitionKey);
  if (t.sortKey) {
    schema.push_back(key(*t.sortKey, "RANGE"));
    define(*t.sortKey);
  }
  json::array indexes;
  for (const auto& index : t.globalIndexes) {
    json::array indexSchema{key(index.partitionKey, "HASH")};
    define(index.partitionKey);
    if (index.sortKey) {
      indexSchema.push_back(key(*index.sortKey, "RANGE"));
      define(*index.sortKey);
    }
    indexes.push_back(json::object{{"IndexName", index.name},
                                   {"KeySchema", std::move(indexSchema)},
                                   {"Projection", json::object{{"ProjectionType", "ALL"}}}});
  }
  json::array definitions;
  for (const auto& [name, type] : attributes) {
    definitions.push_back(json::object{{"AttributeName", name}, {"AttributeType", type}});
  }
  json::object out{{"TableName", t.name},
                   {"BillingMode", "PAY_PER_REQUEST"},
                   {"AttributeDefinitions", std::move(definitions)},
                   {"KeySchema", std::move(schema)}};
  if (!indexes.empty()) out["GlobalSecondaryIndexes"] = std::move(indexes);
  return out;
}

json::array FunctionCatalog::manifest() const {
  json::array out;
  for (const auto& fn : functions_) {
    const FunctionSpec& s = fn->spec;
    json::object f;
    f["name"] = s.name;
    f["description"] = s.description;
    json::array routes;
    for (const auto& r : s.routes) routes.emplace_back(r.key);
    f["routes"] = std::move(routes);
    f["timeoutMs"] = s.timeout.count();
    if (s.reservedConcurrency) {
      f["reservedConcurrency"] = *s.reservedConcurrency;
    } else {
      f["reservedConcurrency"] = nullptr;
    }
    f["execution"] = s.execution == Execution::kInline ? "inline" : "pool";
    if (s.tenancy == Tenancy::kSystem) f["tenancy"] = "system";
    json::object env;
    for (const auto& [k, v] : s.environment) env[k] = v;
    f["environment"] = std::move(env);
    if (s.bodySchema) f["bodySchema"] = *s.bodySchema;
    if (s.idempotency) {
      json::object idem;
      idem["keyHeader"] = "Idempotency-Key";
      idem["bodyKeyPointer"] = s.idempotency->bodyKeyPointer;
      idem["keyRequired"] = s.idempotency->keyRequired;
      idem["expirySeconds"] = s.idempotency->expiry.count();
      f["idempotency"] = std::move(idem);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace bakery::runtime
