// FunctionCatalog: every registered function, with the runtime state the invoker needs.
//
// Capabilities declare functions through the FunctionRegistry interface at start-up; the
// catalog validates each spec (a bad spec is a programming error and throws, failing start-up
// loudly), compiles its body schema, and creates its metric series. After start-up the
// catalog is read-only, and lookups may happen from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <bakery/function.h>

#include "core/json.h"
#include "core/result.h"
#include "platform/observability/metrics_registry.h"
#include "platform/runtime/body_schema.h"

namespace bakery::runtime {

// A registered function: its spec plus per-function counters the invoker updates.
struct RegisteredFunction {
  FunctionSpec spec;
  std::optional<BodySchema> bodySchema;
  std::atomic<int> inFlight{0};
  std::atomic<bool> warm{false};  // false until the first invocation (cold start)
  observability::Counter* invocations = nullptr;
  observability::Counter* errors = nullptr;
  observability::Counter* throttles = nullptr;
  observability::Counter* timeouts = nullptr;
  observability::Histogram* duration = nullptr;
};

// Settings from the configuration file that override a function's code-first defaults.
struct FunctionOverrides {
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<int> reservedConcurrency;
  std::optional<Execution> execution;
  std::map<std::string, std::string> environment;  // merged over the spec's
};

// A route's authorization as `bakery manifest` prints it: {"type": NONE | JWT | API_KEY |
// JWT_OR_API_KEY, "scopes", "roles"}.
json::object authorizationJson(const Authorization& authorization);
// The CreateTable request document (DynamoDB JSON) of a declared table.
json::object tableJson(const TableSpec& table);

class FunctionCatalog final : public FunctionRegistry {
 public:
  explicit FunctionCatalog(observability::MetricsRegistry& metrics);

  void add(FunctionSpec spec) override;
  void addTable(TableSpec spec) override;
  core::Result<void> configure(std::string_view name, const FunctionOverrides& overrides);

  const RegisteredFunction* find(std::string_view name) const;
  RegisteredFunction* find(std::string_view name);
  // In registration order.
  std::vector<const RegisteredFunction*> all() const;
  // Every function with its routes and settings, as `bakery manifest` prints it.
  json::array manifest() const;
  // The tables capabilities declared, in declaration order.
  const std::vector<TableSpec>& tables() const { return tables_; }

  static constexpr std::chrono::milliseconds kMaxTimeout{900'000};  // Lambda's 15 minutes

 private:
  observability::MetricsRegistry& metrics_;
  std::vector<std::unique_ptr<RegisteredFunction>> functions_;
  std::map<std::string, RegisteredFunction*, std::less<>> byName_;
  std::vector<TableSpec> tables_;
};

}  // namespace bakery::runtime
