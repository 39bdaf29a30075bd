// Table: the typed handle a handler uses for one DynamoDB table.
//
// Each call is one DynamoDB operation with DynamoDB's semantics and errors (error types are
// DynamoDB's: ConditionalCheckFailedException, ValidationException, ...). The platform
// hands out handles already scoped to the caller's tenant: keys a handle reads or writes
// live in that tenant's key space, so another tenant's items cannot be named. The same
// handle type is backed by the embedded engine or by DynamoDB; expressions are built with
// expression_builder.h. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/table/attribute_value.h>
#include <bakery/table/expression_builder.h>

#include "core/result.h"

namespace bakery::table {

enum class ReturnValues { kNone, kAllOld, kUpdatedOld, kAllNew, kUpdatedNew };

struct PutOptions {
  std::optional<Condition> condition;
  bool returnOld = false;
};

struct GetOptions {
  bool consistent = false;
  std::vector<Path> projection;  // empty: every attribute
};

struct UpdateOptions {
  std::optional<Condition> condition;
  ReturnValues returnValues = ReturnValues::kNone;
};

struct DeleteOptions {
  std::optional<Condition> condition;
  bool returnOld = false;
};

struct QueryOptions {
  std::string index;  // empty: the table itself
  std::optional<Condition> filter;
  std::int64_t limit = 0;  // items read per page; 0: up to 1 MB
  bool forward = true;
  bool consistent = false;
  std::optional<AttributeMap> startKey;  // a previous page's lastKey
  std::vector<Path> projection;
};

struct ScanOptions {
  std::string index;
  std::optional<Condition> filter;
  std::int64_t limit = 0;
  bool consistent = false;
  std::optional<AttributeMap> startKey;
  std::vector<Path> projection;
  int segment = 0;
  int totalSegments = 0;  // 0: no parallel scan
};

struct Page {
  std::vector<AttributeMap> items;
  std::int64_t count = 0;               // items returned
  std::int64_t scanned = 0;             // items read (before the filter)
  std::optional<AttributeMap> lastKey;  // present when more may follow
};

class Table {
 public:
  virtual ~Table() = default;
  virtual const std::string& name() const = 0;
  // The old item when options.returnOld and one existed.
  virtual core::Result<std::optional<AttributeMap>> put(const AttributeMap& item,
                                                        const PutOptions& options = {}) = 0;
  virtual core::Result<std::optional<AttributeMap>> get(const AttributeMap& key,
                                                        const GetOptions& options = {}) = 0;
  // The attributes options.returnValues asks for.
  virtual core::Result<std::optional<AttributeMap>> update(const AttributeMap& key,
                                                           const Update& update,
                                                           const UpdateOptions& options = {}) = 0;
  virtual core::Result<std::optional<AttributeMap>> remove(const AttributeMap& key,
                                                           const DeleteOptions& options = {}) = 0;
  virtual core::Result<Page> query(const KeyCondition& key, const QueryOptions& options = {}) = 0;
  virtual core::Result<Page> scan(const ScanOptions& options = {}) = 0;
};

// One action of an all-or-nothing write across items and tables.
struct TransactionAction {
  enum class Kind { kPut, kUpdate, kDelete, kCheck } kind = Kind::kPut;
  std::string table;
  AttributeMap itemOrKey;
  std::optional<Update> update;
  std::optional<Condition> condition;

  static TransactionAction put(std::string table, AttributeMap item,
                               std::optional<Condition> condition = {});
  static TransactionAction updateItem(std::string table, AttributeMap key, Update update,
                                      std::optional<Condition> condition = {});
  static TransactionAction remove(std::string table, AttributeMap key,
                                  std::optional<Condition> condition = {});
  static TransactionAction check(std::string table, AttributeMap key, Condition condition);
};

// Opens table handles and runs transactions, all in one scope (tenant).
class Tables {
 public:
  virtual ~Tables() = default;
  virtual std::unique_ptr<Table> open(std::string_view name) = 0;
  // TransactWriteItems; `clientRequestToken` (optional) makes a retry idempotent for ten
  // minutes. A failed condition is a TransactionCanceledException.
  virtual core::Result<void> transactWrite(const std::vector<TransactionAction>& actions,
                                           std::string_view clientRequestToken = {}) = 0;
};

}  // namespace bakery::table
