// ServiceTables: the SDK's typed Tables / Table handles over any TableService.
//
// Each typed call renders its builders into one DynamoDB request document (expressions with
// generated placeholders, attribute values in DynamoDB JSON) and reads the response back
// into attribute maps. Over a tenant-scoped engine service it is what a handler gets from
// its Context; over RemoteTableService it is the same API against DynamoDB. Thread-safe as
// the underlying service is; the service must outlive every handle.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <bakery/table/table.h>

#include "platform/table/table_service.h"

namespace bakery::table {

// The TransactWriteItems request document of `actions` (expressions rendered, placeholders
// generated).
json::object transactWriteRequest(const std::vector<TransactionAction>& actions,
                                  std::string_view clientRequestToken = {});

class ServiceTables final : public Tables {
 public:
  explicit ServiceTables(TableService& service) : service_(service) {}
  // Owns its service (e.g. a tenant-scoped view of the engine).
  explicit ServiceTables(std::unique_ptr<TableService> owned)
      : owned_(std::move(owned)), service_(*owned_) {}

  std::unique_ptr<Table> open(std::string_view name) override;
  core::Result<void> transactWrite(const std::vector<TransactionAction>& actions,
                                   std::string_view clientRequestToken = {}) override;

 private:
  std::unique_ptr<TableService> owned_;
  TableService& service_;
};

}  // namespace bakery::table
