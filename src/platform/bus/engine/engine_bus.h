// EngineBus: the SDK's Bus over the embedded bus engine, for one owner (tenant), with the
// table engine for the outbox: putWithWrites() stages PutEvents into the transaction's own
// WriteBatch, so the items and the events (their delivery records) commit in one write.
// Also the PutEvents documents any Bus implementation speaks. Thread-compatible (one per
// invocation); the engines must outlive it.
#pragma once

#include <string>
#include <vector>

#include <bakery/bus.h>

#include "core/json.h"
#include "platform/bus/engine/bus_engine.h"

namespace bakery::table::engine {
class TableEngine;
}

namespace bakery::bus {

// The PutEvents request of `entries`, and the per-entry results of its response.
json::object putEventsRequest(const std::vector<EventEntry>& entries);
std::vector<PutEventResult> putEventsResults(const json::object& response);

class EngineBus final : public Bus {
 public:
  // Without `tables`, putWithWrites() is unavailable.
  EngineBus(BusEngine& bus, table::engine::TableEngine* tables, std::string owner);

  core::Result<std::vector<PutEventResult>> put(const std::vector<EventEntry>& entries) override;
  core::Result<std::vector<PutEventResult>> putWithWrites(
      const std::vector<table::TransactionAction>& actions,
      const std::vector<EventEntry>& entries) override;

 private:
  BusEngine& bus_;
  table::engine::TableEngine* tables_;
  std::string owner_;
};

}  // namespace bakery::bus
