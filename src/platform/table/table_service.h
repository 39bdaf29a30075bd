// TableService: the DynamoDB API as one call per operation, on JSON documents.
//
// `request` and the returned document are exactly what the DynamoDB JSON 1.0 protocol
// carries for the operation (`{"TableName":..., "Key":{"pk":{"S":"a"}}}`), so one interface
// serves the embedded engine, the remote client (DynamoDB or any compatible endpoint) and
// the HTTP facade, and one conformance suite runs against all of them. Errors come back as
// values whose type() is DynamoDB's error name without the namespace prefix
// (`ConditionalCheckFailedException`, `ValidationException`, ...), whose message() is
// DynamoDB's message, and whose details() holds the extra members of the error document
// (`CancellationReasons`, `Item`). Implementations are thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace bakery::table {

enum class Operation {
  kCreateTable,
  kDeleteTable,
  kDescribeTable,
  kListTables,
  kUpdateTable,
  kUpdateTimeToLive,
  kDescribeTimeToLive,
  kPutItem,
  kGetItem,
  kUpdateItem,
  kDeleteItem,
  kQuery,
  kScan,
  kBatchGetItem,
  kBatchWriteItem,
  kTransactWriteItems,
  kTransactGetItems,
};

// "PutItem" for kPutItem, and back; nullopt for a name DynamoDB does not have (or we lack).
std::string_view operationName(Operation op);
std::optional<Operation> operationFromName(std::string_view name);

class TableService {
 public:
  virtual ~TableService() = default;
  virtual core::Result<json::object> call(Operation op, const json::object& request) = 0;
};

}  // namespace bakery::table
