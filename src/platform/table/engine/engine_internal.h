// Internals shared by the engine's source files: the loaded-table record, storage keys,
// request readers with DynamoDB's messages, index projection and the write context that
// turns item changes into one atomic batch. Not part of any public interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include <bakery/table/attribute_value.h>

#include "core/json.h"
#include "core/result.h"
#include "platform/table/engine/table_engine.h"
#include "platform/table/engine/table_schema.h"
#include "platform/table/expression/expression.h"

namespace bakery::table::engine {

struct TableEngine::Table {
  TableSchema schema;
  json::object description;
};

namespace detail {

using Names = std::map<std::string, std::string, std::less<>>;

inline core::Error invalid(std::string message) {
  return core::Error::validation(std::move(message));
}
core::Error resourceNotFound();
core::Error conditionalCheckFailed(const AttributeMap* item);

// Storage keys (see table_engine.h for the layout).
std::string tablePrefix(std::uint32_t tableId, std::string_view tenant);
std::string itemKey(const TableSchema& schema, std::string_view tenant, const AttributeMap& key);
// The index entry key of `item`, or nullopt when the item lacks the index's key attributes
// (or holds them with another type): indexes are sparse.
std::optional<std::string> indexKey(const TableSchema& schema, const IndexSchema& index,
                                    std::string_view tenant, const AttributeMap& item);
std::string indexPrefix(std::uint32_t indexId, std::string_view tenant);
// The tenant of an items-family key (the escaped segment after the table id).
std::string tenantOfItemKey(std::string_view key);
AttributeMap projectForIndex(const TableSchema& schema, const IndexSchema& index,
                             const AttributeMap& item);
// The primary-key attributes of `item`.
AttributeMap keyOf(const TableSchema& schema, const AttributeMap& item);
AttributeMap keyOf(const TableSchema& schema, const IndexSchema* index, const AttributeMap& item);

// Request readers.
std::optional<std::string_view> stringField(const json::object& o, std::string_view key);
core::Result<std::optional<AttributeMap>> attributeMapField(const json::object& o,
                                                            std::string_view key);
// A Key member validated against the schema: exactly the key attributes, right types,
// non-empty, within size limits.
core::Result<AttributeMap> readKey(const TableSchema& schema, const json::value* key);
core::Result<void> checkKey(const TableSchema& schema, const AttributeMap& key);
// An Item member validated: key attributes present with the right types, index key types,
// 400 KB limit.
core::Result<AttributeMap> readItem(const TableSchema& schema, const json::value* item);
core::Result<void> checkItem(const TableSchema& schema, const AttributeMap& item);
core::Result<void> checkItemSize(const AttributeMap& item);

// ExpressionAttributeNames / Values of one request, decoded and validated.
struct ExpressionInputs {
  std::optional<Names> names;
  std::optional<AttributeMap> values;
  std::optional<expression::Placeholders> placeholders;
};
// `expressions` lists the expression members the operation accepts, in DynamoDB's parse
// order; `nonExpressions` the legacy members that cannot be mixed with them.
core::Result<void> readExpressionInputs(const json::object& request,
                                        const std::vector<std::string_view>& expressions,
                                        const std::vector<std::string_view>& nonExpressions,
                                        ExpressionInputs& out);
core::Result<std::optional<expression::Condition>> readCondition(const json::object& request,
                                                                 std::string_view member,
                                                                 ExpressionInputs& in);
core::Result<std::optional<expression::Projection>> readProjection(const json::object& request,
                                                                   ExpressionInputs& in);
// Key attributes are scalars: no path may reach into a table or index key attribute with
// `.` or `[]` (projections, update targets).
core::Result<void> checkKeyPaths(const TableSchema& schema,
                                 const std::vector<expression::Path>& paths);
core::Result<void> checkKeyPaths(const TableSchema& schema,
                                 const std::optional<expression::Projection>& projection);

// ReturnConsumedCapacity.
enum class CapacityMode { kNone, kTotal, kIndexes };
core::Result<CapacityMode> readCapacityMode(const json::object& request);
double writeUnits(std::size_t bytes);
double readUnits(std::size_t bytes, bool consistent);
json::object consumedCapacity(std::string_view table, double units, CapacityMode mode,
                              const json::object* indexes = nullptr);

core::Result<std::optional<bool>> boolField(const json::object& o, std::string_view key);

}  // namespace detail

// Collects the changes of one request (one item, or all items of a transaction) into one
// WriteBatch: the item, its index entries, its stream record.
struct TableEngine::WriteContext {
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::uint32_t, json::object>> streamRecords;  // table id, record
};

}  // namespace bakery::table::engine
