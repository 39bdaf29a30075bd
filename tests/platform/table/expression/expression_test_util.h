// Builders shared by the expression tests: terse attribute values and one-call parsing with
// a request's ExpressionAttributeNames/Values.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <bakery/table/attribute_value.h>
#include <bakery/table/number.h>

#include "platform/table/expression/expression.h"

namespace bakery::table::expression::testing {

inline AttributeValue S(std::string s) { return AttributeValue::string(std::move(s)); }
inline AttributeValue N(std::string_view text) {
  return AttributeValue::number(normalizeNumber(text).value());
}
inline AttributeValue B(std::string bytes) { return AttributeValue::binary(std::move(bytes)); }
inline AttributeValue Bool(bool b) { return AttributeValue::boolean(b); }
inline AttributeValue Null() { return AttributeValue::null(); }
inline AttributeValue L(AttributeList l) { return AttributeValue::list(std::move(l)); }
inline AttributeValue M(AttributeMap m) { return AttributeValue::map(std::move(m)); }
inline AttributeValue SS(std::vector<std::string> e) {
  return AttributeValue::stringSet(std::move(e));
}
inline AttributeValue NS(std::vector<std::string> e) {
  for (auto& x : e) x = normalizeNumber(x).value();
  return AttributeValue::numberSet(std::move(e));
}
inline AttributeValue BS(std::vector<std::string> e) {
  return AttributeValue::binarySet(std::move(e));
}

// The placeholders of one request. Maps left empty count as absent from the request.
struct Request {
  NameMap names;
  AttributeMap values;

  Placeholders placeholders() const {
    return Placeholders(names.empty() ? nullptr : &names, values.empty() ? nullptr : &values);
  }
};

// The message of a failed result, or "ok".
template <class T>
std::string messageOf(const core::Result<T>& r) {
  if (r.ok()) return "ok";
  EXPECT_EQ(r.error().type(), "ValidationException");
  return r.error().message();
}

inline std::string conditionError(std::string_view text, const Request& req = {},
                                  std::string_view kind = "ConditionExpression") {
  Placeholders ph = req.placeholders();
  return messageOf(parseCondition(text, kind, ph));
}

inline Condition condition(std::string_view text, const Request& req = {}) {
  Placeholders ph = req.placeholders();
  auto parsed = parseCondition(text, "ConditionExpression", ph);
  EXPECT_TRUE(parsed.ok()) << text << ": " << messageOf(parsed);
  if (!parsed.ok()) return *parseCondition("attribute_exists(never_there)", "x", ph);
  return std::move(parsed).value();
}

inline bool holds(std::string_view text, const AttributeMap& item, const Request& req = {}) {
  return evaluate(condition(text, req), item);
}

}  // namespace bakery::table::expression::testing
