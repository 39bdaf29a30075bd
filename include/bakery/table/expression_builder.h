// Typed builders for DynamoDB expressions: conditions and filters, updates, key conditions
// and projections, rendered to DynamoDB's expression strings with generated placeholders
// (`#n0`, `:v0`). Because they render to the wire form, the same call means the same thing
// on the embedded engine, on DynamoDB and on any compatible endpoint, and names that are
// reserved words (`status`, `name`, ...) need no special care.
//
//   using namespace bakery::table;
//   auto cond = attr("status") == S("open") && attr("retries") < N("3");
//   Update u = Update().set(attr("status"), S("done")).add(attr("retries"), N("1"));
//
// Value types; builders are cheap to copy (they share immutable nodes). Not thread-safe
// while being built.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/table/attribute_value.h>

namespace bakery::table {

// Allocates placeholders while an expression renders; one per request (all of a request's
// expressions share its ExpressionAttributeNames and ExpressionAttributeValues).
class ExpressionWriter {
 public:
  // `#nK` for an attribute name (the same name always gets the same placeholder).
  std::string name(std::string_view attributeName);
  // `:vK` for a value.
  std::string value(AttributeValue v);

  const std::map<std::string, std::string, std::less<>>& names() const { return names_; }
  const AttributeMap& values() const { return values_; }

 private:
  std::map<std::string, std::string, std::less<>> names_;   // placeholder -> name
  std::map<std::string, std::string, std::less<>> byName_;  // name -> placeholder
  AttributeMap values_;
};

// A document path: attr("a").at(2).member("b") is `a[2].b`.
class Path {
 public:
  explicit Path(std::string attribute) { parts_.push_back({std::move(attribute), -1}); }
  Path member(std::string name) const;
  Path at(int index) const;
  const std::string& topLevel() const { return parts_.front().name; }
  std::string render(ExpressionWriter& w) const;

 private:
  struct Part {
    std::string name;
    int index;
  };
  std::vector<Part> parts_;
};

inline Path attr(std::string name) { return Path(std::move(name)); }
inline AttributeValue S(std::string s) { return AttributeValue::string(std::move(s)); }
// `text` must be a canonical number (number.h), e.g. "42", "-1.5".
inline AttributeValue N(std::string text) { return AttributeValue::number(std::move(text)); }

// A ConditionExpression or FilterExpression.
class Condition {
 public:
  using Render = std::function<std::string(ExpressionWriter&)>;
  explicit Condition(Render render) : render_(std::make_shared<Render>(std::move(render))) {}
  std::string render(ExpressionWriter& w) const { return (*render_)(w); }

  static Condition exists(Path p);
  static Condition notExists(Path p);
  static Condition hasType(Path p, AttributeType type);
  static Condition beginsWith(Path p, std::string prefix);
  static Condition contains(Path p, AttributeValue v);
  static Condition between(Path p, AttributeValue low, AttributeValue high);
  static Condition in(Path p, std::vector<AttributeValue> values);
  // size(path) compared with a number: sizeOf(attr("tags"), ">", N("3")).
  static Condition sizeOf(Path p, std::string_view comparator, AttributeValue v);
  static Condition compare(Path p, std::string_view comparator, AttributeValue v);

 private:
  std::shared_ptr<const Render> render_;
};

Condition operator==(const Path& p, AttributeValue v);
Condition operator!=(const Path& p, AttributeValue v);
Condition operator<(const Path& p, AttributeValue v);
Condition operator<=(const Path& p, AttributeValue v);
Condition operator>(const Path& p, AttributeValue v);
Condition operator>=(const Path& p, AttributeValue v);
Condition operator&&(const Condition& a, const Condition& b);
Condition operator||(const Condition& a, const Condition& b);
Condition operator!(const Condition& c);

// An UpdateExpression: SET, REMOVE, ADD and DELETE actions, rendered in that clause order.
class Update {
 public:
  Update& set(Path p, AttributeValue v);
  Update& setIfNotExists(Path p, AttributeValue v);
  // SET p = p + delta (p must exist and be a number).
  Update& increment(Path p, AttributeValue delta);
  // SET p = list_append(if_not_exists(p, []), list).
  Update& append(Path p, AttributeList list);
  Update& remove(Path p);
  // ADD: number addition (missing = 0) or set union.
  Update& add(Path p, AttributeValue v);
  // DELETE: set difference.
  Update& removeFromSet(Path p, AttributeValue set);

  bool empty() const;
  std::string render(ExpressionWriter& w) const;

 private:
  using Action = std::function<std::string(ExpressionWriter&)>;
  std::vector<Action> set_, remove_, add_, delete_;
};

// A KeyConditionExpression: partition key equality and at most one sort-key condition.
class KeyCondition {
 public:
  KeyCondition(std::string partitionKey, AttributeValue value);
  KeyCondition& sortEquals(std::string sortKey, AttributeValue v);
  KeyCondition& sortLessThan(std::string sortKey, AttributeValue v);
  KeyCondition& sortAtMost(std::string sortKey, AttributeValue v);
  KeyCondition& sortGreaterThan(std::string sortKey, AttributeValue v);
  KeyCondition& sortAtLeast(std::string sortKey, AttributeValue v);
  KeyCondition& sortBetween(std::string sortKey, AttributeValue low, AttributeValue high);
  KeyCondition& sortBeginsWith(std::string sortKey, std::string prefix);
  std::string render(ExpressionWriter& w) const;

 private:
  KeyCondition& sort(std::string sortKey, std::string op, std::vector<AttributeValue> values);

  std::string partitionKey_;
  AttributeValue partitionValue_;
  std::string sortKey_;
  std::string sortOp_;
  std::vector<AttributeValue> sortValues_;
};

// A ProjectionExpression.
std::string renderProjection(const std::vector<Path>& paths, ExpressionWriter& w);

}  // namespace bakery::table
