#include "platform/runtime/body_schema.h"

#define VALIJSON_USE_EXCEPTIONS 1
#include <exception>

#include <fmt/format.h>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace bakery::runtime {

struct BodySchema::Compiled {
  valijson::Schema schema;
};

BodySchema::BodySchema(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
BodySchema::BodySchema(BodySchema&&) noexcept = default;
BodySchema& BodySchema::operator=(BodySchema&&) noexcept = default;
BodySchema::~BodySchema() = default;

core::Result<BodySchema> BodySchema::compile(const json::value& schema) {
  auto compiled = std::make_unique<Compiled>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::BoostJsonAdapter adapter(schema);
    parser.populateSchema(adapter, compiled->schema);
  } catch (const std::exception& e) {
    return core::Error::validation(fmt::format("invalid body schema: {}", e.what()), "bodySchema");
  }
  return BodySchema(std::move(compiled));
}

namespace {

// valijson contexts look like {"<root>", "[owner]", "[email]"} or "[2]" for array items.
std::string dottedPath(const std::vector<std::string>& context) {
  std::string path;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string_view p = part;
    if (p.size() >= 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
    if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
    if (!path.empty()) path += '.';
    path += p;
  }
  return path;
}

// "Missing required property 'email'." names the member the path should point at.
std::string missingProperty(const std::string& description) {
  static constexpr std::string_view kPrefix = "Missing required property '";
  if (description.rfind(kPrefix, 0) != 0) return {};
  auto end = description.find('\'', kPrefix.size());
  if (end == std::string::npos) return {};
  return description.substr(kPrefix.size(), end - kPrefix.size());
}

}  // namespace

core::Result<void> BodySchema::validate(const json::value& body) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter(body);
  if (validator.validate(compiled_->schema, adapter, &results)) return {};

  // The deepest error is the most specific one; outer errors only say "a child failed".
  valijson::ValidationResults::Error best;
  std::size_t bestDepth = 0;
  bool found = false;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    std::size_t depth = e.context.size() + (missingProperty(e.description).empty() ? 0 : 1);
    if (!found || depth > bestDepth) {
      best = e;
      bestDepth = depth;
      found = true;
    }
  }
  std::string field = dottedPath(best.context);
  std::string missing = missingProperty(best.description);
  if (!missing.empty()) field = field.empty() ? missing : field + "." + missing;
  std::string shown = field.empty() ? std::string("body") : field;
  return core::Error::validation(
      fmt::format("Invalid request body: {}: {}", shown, best.description), shown);
}

}  // namespace bakery::runtime
