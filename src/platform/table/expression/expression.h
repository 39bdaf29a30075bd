// The DynamoDB expression language: ConditionExpression, FilterExpression,
// ProjectionExpression, UpdateExpression and KeyConditionExpression, parsed once per request
// into a compact tree and then evaluated against items.
//
// Parsing validates everything DynamoDB validates before touching data (syntax, reserved
// words, undefined placeholders, operand types known from ExpressionAttributeValues, path
// overlaps, limits) and reports it as a ValidationException whose message is DynamoDB's
// exact text, prefixed `Invalid <Kind>: ` where DynamoDB prefixes it. Evaluation never fails:
// a missing attribute or a type mismatch makes a comparison false. Applying an update may
// fail on data (DynamoDB's runtime messages) and then leaves the item unchanged.
//
// Thread-safety: parsed objects (Condition, Projection, UpdatePlan) are immutable values that
// own copies of the placeholder values they use; share them freely between threads.
// Placeholders is per request and single-threaded; it only borrows the request's maps, which
// must outlive it (not the parsed objects).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/table/attribute_value.h>

#include "core/result.h"

namespace bakery::table::expression {

namespace detail {
struct ConditionTree;
struct UpdateTree;
}  // namespace detail

using NameMap = std::map<std::string, std::string, std::less<>>;

// ExpressionAttributeNames and ExpressionAttributeValues of one request, shared by all of its
// expressions, recording which entries the expressions used. Either map may be null (absent
// from the request). Checking the maps' own shape (non-empty, `#`/`:` keys) is the codec's job.
class Placeholders {
 public:
  Placeholders(const NameMap* names, const AttributeMap* values);

  // The attribute name `#key` stands for, marking it used; null when not defined.
  const std::string* useName(std::string_view key);
  // The value `:key` stands for, marking it used; null when not defined.
  const AttributeValue* useValue(std::string_view key);

  // After all of the request's expressions were parsed: DynamoDB's "unused in expressions"
  // ValidationException when a name or value was never used (names are checked first).
  core::Result<void> checkAllUsed() const;

 private:
  const NameMap* names_;
  const AttributeMap* values_;
  // Keys used so far (pointers to the maps' own key strings); sorted only when checked.
  std::vector<const std::string*> usedNames_;
  std::vector<const std::string*> usedValues_;
};

struct PathElement {
  std::string name;
  int index = -1;  // >= 0: a list index `[n]`, and `name` is empty

  friend bool operator==(const PathElement&, const PathElement&) = default;
};
// A document path with every placeholder replaced by the real name.
using Path = std::vector<PathElement>;

// "a.b[2]", as paths appear in messages and logs.
std::string renderPath(const Path& path);

// A parsed ConditionExpression or FilterExpression (or the tree behind a KeyCondition).
// Cheap to copy: the tree is shared and immutable.
class Condition {
 public:
  explicit Condition(std::shared_ptr<const detail::ConditionTree> tree) : tree_(std::move(tree)) {}
  const detail::ConditionTree& tree() const { return *tree_; }

 private:
  std::shared_ptr<const detail::ConditionTree> tree_;
};

// `kind` is "ConditionExpression" or "FilterExpression"; it names the expression in messages.
core::Result<Condition> parseCondition(std::string_view text, std::string_view kind,
                                       Placeholders& ph);
// Whether `item` satisfies the condition. Missing attributes and type mismatches make the
// comparison that meets them false, as in DynamoDB. Does not allocate for comparisons.
bool evaluate(const Condition& condition, const AttributeMap& item);
// The first element of every path the condition reads, each name once, in order of use.
std::vector<std::string> topLevelNames(const Condition& condition);

// A parsed ProjectionExpression. `paths` are kept sorted (names bytewise, indexes
// numerically), the order project() builds its result in.
struct Projection {
  std::vector<Path> paths;
};
core::Result<Projection> parseProjection(std::string_view text, Placeholders& ph);
// The parts of `item` the projection names; missing paths are left out, maps keep only the
// named members and lists only the named indexes, in index order.
AttributeMap project(const Projection& projection, const AttributeMap& item);

// A parsed UpdateExpression: SET (with `+`, `-`, if_not_exists, list_append), REMOVE
// (attributes and list elements), ADD and DELETE, each clause at most once, in any order.
class UpdatePlan {
 public:
  explicit UpdatePlan(std::shared_ptr<const detail::UpdateTree> tree) : tree_(std::move(tree)) {}
  const detail::UpdateTree& tree() const { return *tree_; }

 private:
  std::shared_ptr<const detail::UpdateTree> tree_;
};

core::Result<UpdatePlan> parseUpdate(std::string_view text, Placeholders& ph);
// Every path the update writes or removes, in the order the expression names them.
std::vector<Path> targets(const UpdatePlan& plan);
// Applies the plan to `item` as DynamoDB does: every operand is read from the item as it was
// before the update, list indexes refer to the original positions, and the update is
// all-or-nothing (on error `item` is unchanged).
core::Result<void> apply(const UpdatePlan& plan, AttributeMap& item);

struct KeySchemaView {
  std::string partitionKey;
  AttributeType partitionType = AttributeType::kS;
  std::string sortKey;  // empty: the table or index has no sort key
  AttributeType sortType = AttributeType::kS;
};

struct SortKeyCondition {
  enum class Op { kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };
  Op op = Op::kEq;
  AttributeValue low;
  AttributeValue high;  // BETWEEN only
};

struct KeyCondition {
  AttributeValue partitionValue;
  std::optional<SortKeyCondition> sort;
};

// A KeyConditionExpression: `pk = :v`, optionally AND one sort-key condition (=, <, <=, >, >=,
// BETWEEN, begins_with), checked against the key schema with DynamoDB's messages.
core::Result<KeyCondition> parseKeyCondition(std::string_view text, Placeholders& ph,
                                             const KeySchemaView& schema);
// Whether a sort-key value satisfies the condition (false when the types differ).
bool matches(const SortKeyCondition& condition, const AttributeValue& sortValue);

}  // namespace bakery::table::expression
