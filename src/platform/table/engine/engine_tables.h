// EngineTables: the SDK's typed handles on the embedded engine, for one tenant.
//
// Every call is the engine's DynamoDB operation (ServiceTables over a tenant-scoped
// service), except GetItem without a projection — the commonest read — which skips the JSON
// round trip and reads the item directly. Thread-safe; the engine must outlive it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <bakery/table/table.h>

#include "platform/table/engine/table_engine.h"
#include "platform/table/service_tables.h"

namespace bakery::table::engine {

class EngineTables final : public Tables {
 public:
  EngineTables(TableEngine& engine, std::string tenant);

  std::unique_ptr<Table> open(std::string_view name) override;
  core::Result<void> transactWrite(const std::vector<TransactionAction>& actions,
                                   std::string_view clientRequestToken = {}) override {
    return json_.transactWrite(actions, clientRequestToken);
  }

 private:
  TableEngine& engine_;
  std::string tenant_;
  ServiceTables json_;
};

}  // namespace bakery::table::engine
