// TableSchema: what the engine needs to know of a table, derived from its description.
//
// A table is persisted as its DynamoDB TableDescription (the document DescribeTable
// returns) plus the engine's internal ids for the table and each index; the schema is the
// typed view of that description used on every request. validateCreateTable() checks a
// CreateTable request with DynamoDB's rules and messages and returns the description to
// store. Value types; no locking of their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/table/attribute_value.h>

#include "core/json.h"
#include "core/result.h"

namespace bakery::table::engine {

struct KeyElement {
  std::string name;
  AttributeType type = AttributeType::kS;
};

enum class ProjectionType { kAll, kKeysOnly, kInclude };

struct IndexSchema {
  std::string name;
  std::uint32_t id = 0;
  bool global = false;
  KeyElement partition;
  std::optional<KeyElement> sort;
  ProjectionType projection = ProjectionType::kAll;
  std::vector<std::string> nonKeyAttributes;  // INCLUDE only
};

struct TableSchema {
  std::string name;
  std::uint32_t id = 0;
  KeyElement partition;
  std::optional<KeyElement> sort;
  std::vector<IndexSchema> indexes;  // local and global
  bool streamEnabled = false;
  std::string streamViewType;  // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
  std::string ttlAttribute;    // empty: TTL disabled

  const IndexSchema* index(std::string_view indexName) const;
  bool isKeyAttribute(std::string_view attribute) const;
};

// The stored form: the description plus internal ids.
struct StoredTable {
  json::object description;
  TableSchema schema;
};

// Rebuilds the schema from a stored description and its ids.
core::Result<TableSchema> schemaFromDescription(const json::object& description,
                                                std::uint32_t tableId, const json::object& indexIds,
                                                std::string_view ttlAttribute);

// Validates a CreateTable request; on success the TableDescription to store (without ids),
// with `now` (epoch seconds) as CreationDateTime and `arnPrefix` (arn:aws:dynamodb:<region>:
// <account>:table/) for the ARNs.
core::Result<json::object> validateCreateTable(const json::object& request, double now,
                                               std::string_view arnPrefix);

// DynamoDB's checks on the TableName of a table operation (CreateTable, DescribeTable, ...),
// with their friendly length message; `field` is the member name for messages.
core::Result<void> validateTableName(const json::value* name, std::string_view field);
// The same checks as generic constraint violations ("1 validation error detected: Value 'x'
// at 'tableName' failed to satisfy constraint: ..."), which data-plane operations and index
// names report; `member` is the member's path in the request, e.g. "tableName" or
// "globalSecondaryIndexes.1.member.indexName".
core::Result<void> validateNameMember(const json::value* name, std::string_view member);

// The index description for UpdateTable's Create action, validated against `table`.
core::Result<json::object> validateCreateIndex(const json::object& create,
                                               const json::object& tableDescription,
                                               const json::array* attributeDefinitions,
                                               std::string_view arnPrefix);

AttributeType keyTypeFromName(std::string_view name);

}  // namespace bakery::table::engine
