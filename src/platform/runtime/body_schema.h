// BodySchema: a compiled JSON Schema (draft 7, valijson) for a function's request body.
//
// validate() reports the first failure as a ValidationException whose field is the dotted
// path of the offending member (`owner.email`, `items.2.sku`); for a missing required member
// the path names that member. Compiled once at start-up; validate() is const and may run on
// many threads at once.
#pragma once

#include <memory>

#include "core/json.h"
#include "core/result.h"

namespace bakery::runtime {

class BodySchema {
 public:
  static core::Result<BodySchema> compile(const json::value& schema);
  BodySchema(BodySchema&&) noexcept;
  BodySchema& operator=(BodySchema&&) noexcept;
  ~BodySchema();

  core::Result<void> validate(const json::value& body) const;

 private:
  struct Compiled;
  explicit BodySchema(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace bakery::runtime
