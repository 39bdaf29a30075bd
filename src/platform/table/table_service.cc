#include "platform/table/table_service.h"

#include <array>
#include <utility>

namespace bakery::table {
namespace {

constexpr std::array<std::pair<Operation, std::string_view>, 17> kNames{{
    {Operation::kCreateTable, "CreateTable"},
    {Operation::kDeleteTable, "DeleteTable"},
    {Operation::kDescribeTable, "DescribeTable"},
    {Operation::kListTables, "ListTables"},
    {Operation::kUpdateTable, "UpdateTable"},
    {Operation::kUpdateTimeToLive, "UpdateTimeToLive"},
    {Operation::kDescribeTimeToLive, "DescribeTimeToLive"},
    {Operation::kPutItem, "PutItem"},
    {Operation::kGetItem, "GetItem"},
    {Operation::kUpdateItem, "UpdateItem"},
    {Operation::kDeleteItem, "DeleteItem"},
    {Operation::kQuery, "Query"},
    {Operation::kScan, "Scan"},
    {Operation::kBatchGetItem, "BatchGetItem"},
    {Operation::kBatchWriteItem, "BatchWriteItem"},
    {Operation::kTransactWriteItems, "TransactWriteItems"},
    {Operation::kTransactGetItems, "TransactGetItems"},
}};

}  // namespace

std::string_view operationName(Operation op) {
  for (const auto& [o, name] : kNames) {
    if (o == op) return name;
  }
  return "Unknown";
}

std::optional<Operation> operationFromName(std::string_view name) {
  for (const auto& [o, n] : kNames) {
    if (n == name) return o;
  }
  return std::nullopt;
}

}  // namespace bakery::table
